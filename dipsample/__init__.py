"""Dip sampling: plan, draw, substitute and evaluate samples of cases, reproducibly.

Pure (no files, no database): the caller passes DataFrames and gets frozen,
self-describing results back. The modules:

- :mod:`dipsample.frame`: a validated sampling frame and its fingerprint;
- :mod:`dipsample.eligibility`: exclusion rules and the counts they exclude;
- :mod:`dipsample.planning`: discovery and estimation sample sizes;
- :mod:`dipsample.allocation`: how a sample is shared across strata;
- :mod:`dipsample.selection`: the draw, ranked by a keyed hash of seed and CRN;
- :mod:`dipsample.substitution`: replacing ineligible cases from the reserve;
- :mod:`dipsample.log`: the hash-chained selection log;
- :mod:`dipsample.evaluation`: intervals, stratified estimates, agreement;
- :mod:`dipsample.errors`: what this package raises on purpose.
"""

from dipsample.allocation import Allocation, Allocator
from dipsample.eligibility import Eligibility, apply_exclusions, parse_rule
from dipsample.errors import (
    DipSampleError,
    FrameInvalid,
    LogInvalid,
    PlanInvalid,
    ResultsInvalid,
    SubstitutionRefused,
)
from dipsample.evaluation import (
    Evaluation,
    Evaluator,
    clopper_pearson,
    cohen_kappa,
    second_review_subset,
    stratified_estimate,
    upper_bound,
    wilson,
)
from dipsample.frame import Frame
from dipsample.hashing import new_seed, rank_order, siphash24
from dipsample.planning import DiscoveryPlan, EstimationPlan, discovery_size, estimation_size
from dipsample.selection import Sample, Sampler
from dipsample.substitution import substitute

__all__ = [
    "Allocation",
    "Allocator",
    "DipSampleError",
    "DiscoveryPlan",
    "Eligibility",
    "EstimationPlan",
    "Evaluation",
    "Evaluator",
    "Frame",
    "FrameInvalid",
    "LogInvalid",
    "PlanInvalid",
    "ResultsInvalid",
    "Sample",
    "Sampler",
    "SubstitutionRefused",
    "apply_exclusions",
    "clopper_pearson",
    "cohen_kappa",
    "discovery_size",
    "estimation_size",
    "new_seed",
    "parse_rule",
    "rank_order",
    "second_review_subset",
    "siphash24",
    "stratified_estimate",
    "substitute",
    "upper_bound",
    "wilson",
]
