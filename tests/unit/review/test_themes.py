"""Themes across reviews: counts by hand, every quarter shown, filters, grouped learning."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from sfo.domain import themes as th
from sfo.domain.factors import FACTOR_TYPES, Factor
from sfo.domain.review import Episode, Judgement, Learning, ReviewState, Signature
from sfo.errors import InputError

REVIEWER = "reviewer.example"

POLICE = (
    "Police domestic abuse call-out checks were not requested at the start of the order.",
    "Domestic abuse police checks must be made before the first home visit.",
    "The practitioner did not chase the police domestic abuse check when no reply came.",
    "Police checks on domestic abuse call-outs should be repeated when a new partner is "
    "disclosed.",
    "Responses to police domestic abuse checks were not recorded on the case record.",
    "Managers should confirm that domestic abuse police checks are completed within ten "
    "working days.",
)
SUPERVISION = (
    "Formal supervision took place less often than every six weeks.",
    "Supervision sessions with the senior probation officer were cancelled repeatedly.",
    "Reflective supervision should be protected when caseloads are high.",
    "The practitioner had no supervision for three months before the offence.",
    "Supervision records did not show discussion of high-risk cases.",
    "Team managers should hold supervision at least every six weeks and record it.",
)
WORKLOAD = (
    "Workload measurement showed the practitioner above 110% capacity for months.",
    "High workload meant appointments were shortened to fifteen minutes.",
    "Caseloads above 100 left no time for home visits; workload must be reviewed.",
    "The team's workload was not redistributed when two officers left.",
    "Managers should act when workload stays above 110% capacity.",
)
CHILDREN = (
    "Information sharing with children's services was slow and incomplete.",
    "Children's services did not share the child protection plan with probation.",
    "A safeguarding referral to children's services was not followed up.",
    "Children's services were not told that he had moved in with a partner and her children.",
    "Joint working with children's services should include child protection conferences.",
)


def _state(*, crn: str = "X000001", as_of: date = date(2025, 1, 6),
           finalised_on: date | None = None, judgement: str | None = None,
           gaps: Sequence[str] = (), good: Sequence[str] = (),
           factors: Sequence[tuple[str, str, str | None]] = (),
           restricted: Sequence[tuple[str, str]] = (),
           learning: Sequence[tuple[str, str]] = ()) -> ReviewState:
    """A review as stored: gap and good-practice episodes by rule, factors, learning."""
    episodes = [Episode(f"E{n}", "gap", None, "", f"A gap under {rule}.", rule_id=rule)
                for n, rule in enumerate(gaps, start=1)]
    episodes += [Episode(f"G{n}", "good_practice", None, "", f"Good practice: {rule}.",
                         good_practice="Done early.", rule_id=rule)
                 for n, rule in enumerate(good, start=1)]
    found = [Factor(f"F{n}", code, f"The {code} factor.", effect=effect, scope=scope)
             for n, (code, effect, scope) in enumerate(factors, start=1)]
    found += [Factor(f"R{n}", code, description, restricted=True)
              for n, (code, description) in enumerate(restricted, start=1)]
    return ReviewState(
        crn=crn, as_of=as_of, rule_ids=tuple(sorted({*gaps, *good})),
        episodes=tuple(episodes), factors=tuple(found),
        judgement=None if judgement is None else Judgement(
            judgement, "Reasons given.", REVIEWER, datetime(2025, 1, 1, tzinfo=UTC)),
        learning=tuple(Learning(f"L{n}", level, text)
                       for n, (level, text) in enumerate(learning, start=1)),
        finalised=None if finalised_on is None else Signature(
            REVIEWER, datetime.combine(finalised_on, datetime.min.time(), UTC)
            + timedelta(hours=15)))


def _five() -> list[th.ReviewDigest]:
    """Five reviews whose counts are worked out by hand in the tests below."""
    return [
        th.digest(1, _state(finalised_on=date(2025, 2, 10), judgement="partly",
                            gaps=["DA-CHECKS", "DA-CHECKS", "HOME-VISIT"], good=["FIRST-APPT"],
                            factors=[("workload", "hindered", "systemic"),
                                     ("supervision", "hindered", "specific")],
                            restricted=[("personal_circumstances",
                                         "Bereavement: her father died in March.")]),
                  region="North"),
        th.digest(2, _state(finalised_on=date(2025, 3, 31), judgement="no",
                            gaps=["DA-CHECKS", "OVERSIGHT"],
                            factors=[("workload", "hindered", None),
                                     ("workload", "helped", "specific"),
                                     ("partner_information", "hindered", "systemic")]),
                  region="North"),
        th.digest(3, _state(finalised_on=date(2025, 8, 15), judgement="yes", good=["RISK-INIT"],
                            factors=[("training", "helped", "specific")]),
                  region="South"),
        th.digest(4, _state(as_of=date(2025, 5, 2), gaps=["CONTACT-FREQ"],
                            factors=[("workload", "hindered", "systemic")],
                            restricted=[("workload", "Off sick with stress for a month.")]),
                  region="South"),
        th.digest(5, _state(finalised_on=date(2025, 11, 20), judgement="partly",
                            gaps=["DA-CHECKS", "CONTACT-FREQ"],
                            factors=[("supervision", "hindered", "systemic")]),
                  region="North"),
    ]


def _learning_digests(*topics: Sequence[str], first_id: int = 1) -> list[th.ReviewDigest]:
    """Review n holds the nth text of every topic."""
    return [th.ReviewDigest(review_id=first_id + n, crn=f"X{n:06d}",
                            period_date=date(2025, 1, 6) + timedelta(days=7 * n),
                            learning=tuple((f"L{k}", "team", topic[n])
                                           for k, topic in enumerate(topics, start=1)))
            for n in range(len(topics[0]))]


def _texts(theme: th.Theme) -> set[str]:
    return {i.text for i in theme.items}


# -- one review ---------------------------------------------------------------------------------

def test_a_digest_keeps_gap_rules_factors_and_learning_but_no_descriptions():
    state = _state(finalised_on=date(2025, 2, 10), judgement="partly",
                   gaps=["HOME-VISIT", "DA-CHECKS", "DA-CHECKS"], good=["FIRST-APPT"],
                   factors=[("workload", "hindered", "systemic")],
                   restricted=[("personal_circumstances", "Bereavement in March."),
                               ("workload", "Covering for a colleague who was ill.")],
                   learning=[("team", "Police checks must be made at the start.")])
    state = replace(state, episodes=(*state.episodes, Episode(
        "E9", "gap", None, "", "A gap the reviewer found outside the rules.")))
    d = th.digest(7, state, region=" North ")
    assert d.review_id == 7 and d.crn == "X000001" and d.region == "North"
    assert d.period_date == date(2025, 2, 10)
    assert d.judgement == "partly"
    assert d.gap_rules == ("DA-CHECKS", "HOME-VISIT")
    assert d.factors == (("workload", "hindered", "systemic"),)
    assert d.restricted_factors == 2
    assert d.learning == (("L1", "team", "Police checks must be made at the start."),)
    assert "Bereavement" not in repr(d) and "colleague" not in repr(d)
    assert "workload factor" not in repr(d)


def test_a_review_not_yet_finalised_is_dated_by_its_as_of_date():
    d = th.digest(1, _state(as_of=date(2025, 5, 2)))
    assert d.period_date == date(2025, 5, 2) and d.judgement is None


def test_quarters_are_calendar_quarters():
    assert [th.quarter_of(date(2025, m, 1)) for m in (1, 3, 4, 6, 7, 9, 10, 12)] == [
        "2025 Q1", "2025 Q1", "2025 Q2", "2025 Q2", "2025 Q3", "2025 Q3", "2025 Q4", "2025 Q4"]


# -- counts -------------------------------------------------------------------------------------

def test_factor_counts_match_a_count_by_hand():
    report = th.themes(_five())
    assert report.reviews == 5
    rows = {f.code: (f.reviews, f.hindered, f.helped, f.systemic) for f in report.factors}
    # workload: reviews 1, 2, 4 (4's restricted one is not counted); 2 said it both
    # hindered and helped; 1 and 4 called it systemic.
    assert rows["workload"] == (3, 3, 1, 2)
    assert rows["supervision"] == (2, 2, 0, 1)
    assert rows["partner_information"] == (1, 1, 0, 1)
    assert rows["training"] == (1, 0, 1, 0)
    assert rows["staffing_vacancies"] == (0, 0, 0, 0)
    assert [f.code for f in report.factors] == [
        "workload", "supervision", "training", "partner_information", "staffing_vacancies",
        "experience_vs_complexity", "systems_it", "policy_workability", "task_design"]
    workload = report.factors[0]
    assert (workload.title, workload.level) == ("Workload", "organisational")


def test_findings_count_reviews_with_a_gap_not_episodes_nor_good_practice():
    report = th.themes(_five())
    assert [(f.rule_id, f.reviews) for f in report.findings] == [
        ("DA-CHECKS", 3), ("CONTACT-FREQ", 2), ("HOME-VISIT", 1), ("OVERSIGHT", 1)]


def test_judgements_are_counted_with_reviews_not_yet_judged():
    report = th.themes(_five())
    assert report.judgements == (("yes", 1), ("partly", 2), ("no", 1), ("not_judged", 1))


def test_the_trend_counts_reviews_naming_each_factor_in_each_quarter():
    report = th.themes(_five())
    assert report.quarters == (("2025 Q1", 2), ("2025 Q2", 1), ("2025 Q3", 1), ("2025 Q4", 1))
    trend = {(t.quarter, t.code): t.reviews for t in report.trend}
    assert len(trend) == 4 * 4  # every quarter x the four kinds named at all
    assert trend[("2025 Q1", "workload")] == 2
    assert trend[("2025 Q1", "supervision")] == 1
    assert trend[("2025 Q1", "partner_information")] == 1
    assert trend[("2025 Q2", "workload")] == 1
    assert trend[("2025 Q3", "training")] == 1
    assert trend[("2025 Q4", "supervision")] == 1
    assert sum(trend.values()) == 7
    assert "personal_circumstances" not in {code for _, code in trend}


def test_quarters_without_reviews_appear_as_zero():
    digests = [th.ReviewDigest(1, "X1", date(2024, 2, 1), factors=(("workload", "hindered",
                                                                      None),)),
               th.ReviewDigest(2, "X2", date(2024, 12, 31), factors=(("workload", "hindered",
                                                                        None),))]
    report = th.themes(digests)
    assert report.quarters == (("2024 Q1", 1), ("2024 Q2", 0), ("2024 Q3", 0), ("2024 Q4", 1))
    assert [(t.quarter, t.reviews) for t in report.trend] == [
        ("2024 Q1", 1), ("2024 Q2", 0), ("2024 Q3", 0), ("2024 Q4", 1)]
    frame = report.trend_frame()
    assert list(frame.columns) == ["quarter", "code", "title", "reviews", "quarter_reviews"]
    assert frame["quarter"].tolist() == ["2024 Q1", "2024 Q2", "2024 Q3", "2024 Q4"]
    assert frame["reviews"].tolist() == [1, 0, 0, 1]
    assert frame["quarter_reviews"].tolist() == [1, 0, 0, 1]


def test_a_period_with_no_reviews_still_shows_each_of_its_quarters():
    report = th.themes(_five(), start=date(2026, 1, 1), end=date(2026, 6, 30))
    assert report.reviews == 0
    assert report.quarters == (("2026 Q1", 0), ("2026 Q2", 0))
    assert report.trend == () and report.findings == () and report.themes == ()
    assert all(f.reviews == 0 for f in report.factors)


# -- filters ------------------------------------------------------------------------------------

def test_the_region_filter_keeps_only_reviews_from_that_region():
    report = th.themes(_five(), region="North")
    assert report.reviews == 3 and report.region == "North"
    rows = {f.code: f.reviews for f in report.factors}
    assert (rows["workload"], rows["supervision"], rows["training"]) == (2, 2, 0)
    assert report.quarters == (("2025 Q1", 2), ("2025 Q2", 0), ("2025 Q3", 0), ("2025 Q4", 1))
    assert th.themes(_five(), region="Wales").reviews == 0


def test_the_period_filter_includes_the_first_and_last_days():
    report = th.themes(_five(), start=date(2025, 3, 31), end=date(2025, 8, 15))
    assert report.reviews == 3  # reviews 2 (31 March), 4 (2 May) and 3 (15 August)
    assert [f.rule_id for f in report.findings] == ["CONTACT-FREQ", "DA-CHECKS", "OVERSIGHT"]
    assert report.quarters == (("2025 Q1", 1), ("2025 Q2", 1), ("2025 Q3", 1))
    later = th.themes(_five(), start=date(2025, 4, 1), end=date(2025, 8, 14))
    assert later.reviews == 1 and later.quarters == (("2025 Q2", 1), ("2025 Q3", 0))


def test_a_seeded_set_of_reviews_matches_counts_made_from_its_plan():
    rng = random.Random(42)
    codes = [c for c, t in FACTOR_TYPES.items() if not t.restricted]
    rules = ["DA-CHECKS", "CONTACT-FREQ", "OVERSIGHT", "RISK-REVIEW", "HOME-VISIT"]
    plan = []
    for n in range(1, 61):
        plan.append({
            "region": rng.choice(["North East", "London", "Wales"]),
            "day": date(2024, 1, 1) + timedelta(days=rng.randrange(730)),
            "gaps": rng.sample(rules, rng.randint(0, 3)),
            "factors": [(c, rng.choice(["helped", "hindered"]),
                         rng.choice(["specific", "systemic", None]))
                        for c in rng.sample(codes, rng.randint(0, 4))],
            "personal": rng.random() < 0.3,
            "id": n})
    digests = [th.digest(p["id"], _state(crn=f"X{p['id']:06d}", finalised_on=p["day"],
                                         gaps=p["gaps"], factors=p["factors"],
                                         restricted=[("personal_circumstances", "Private.")]
                                         if p["personal"] else []),
                         region=p["region"]) for p in plan]
    report = th.themes(digests, region="London", start=date(2024, 7, 1),
                       end=date(2025, 6, 30))
    chosen = [p for p in plan if p["region"] == "London"
              and date(2024, 7, 1) <= p["day"] <= date(2025, 6, 30)]
    assert report.reviews == len(chosen) > 0
    for f in report.factors:
        assert f.reviews == sum(1 for p in chosen if any(c == f.code for c, _, _ in p["factors"]))
        assert f.hindered == sum(1 for p in chosen
                                 if (f.code, "hindered") in {(c, e) for c, e, _ in p["factors"]})
    for rule in rules:
        expected = sum(1 for p in chosen if rule in p["gaps"])
        assert dict((f.rule_id, f.reviews) for f in report.findings).get(rule, 0) == expected
    quarters = dict(report.quarters)
    assert list(quarters) == ["2024 Q3", "2024 Q4", "2025 Q1", "2025 Q2"]
    for q, n in quarters.items():
        assert n == sum(1 for p in chosen if th.quarter_of(p["day"]) == q)
    personal = sum(1 for p in chosen if p["personal"])
    shown = personal == 0 or (personal >= 5 and len(chosen) - personal >= 5)
    assert report.restricted_reviews == (personal if shown else None)


def test_wrong_requests_are_refused_plainly():
    five = _five()
    with pytest.raises(InputError, match="Review 1 is given twice"):
        th.themes([*five, five[0]])
    with pytest.raises(InputError, match="starts on 2025-06-01, after it ends"):
        th.themes(five, start=date(2025, 6, 1), end=date(2025, 5, 1))
    with pytest.raises(InputError, match="at least one theme"):
        th.themes(five, max_themes=0)
    with pytest.raises(InputError, match="cosine distance"):
        th.themes(five, distance_threshold=0)
    with pytest.raises(InputError, match="may only be counted in restricted_factors"):
        th.ReviewDigest(1, "X1", date(2025, 1, 1),
                        factors=(("personal_circumstances", "hindered", None),))
    with pytest.raises(InputError, match="'caseload' is not a contributory factor"):
        th.ReviewDigest(1, "X1", date(2025, 1, 1), factors=(("caseload", "hindered", None),))
    with pytest.raises(InputError, match="level 'national'"):
        th.ReviewDigest(1, "X1", date(2025, 1, 1), learning=(("L1", "national", "Text."),))


# -- restricted factors -------------------------------------------------------------------------

def test_restricted_factor_descriptions_never_appear_in_the_report():
    text = json.dumps(th.themes(_five()).as_dict())
    for secret in ("Bereavement", "father", "Off sick", "stress", "personal_circumstances",
                   "Personal circumstances (restricted)"):
        assert secret not in text
    assert "workload factor" not in text  # no factor description at all


@pytest.mark.parametrize(("with_restricted", "total", "shown"), [
    (0, 3, 0), (1, 12, None), (4, 12, None), (5, 12, 5), (7, 12, 7), (8, 12, None),
    (12, 12, None)])
def test_the_number_of_reviews_with_a_restricted_factor_is_shown_only_when_it_is_safe(
        with_restricted: int, total: int, shown: int | None):
    digests = [th.ReviewDigest(n, f"X{n}", date(2025, 1, 1),
                               restricted_factors=int(n <= with_restricted))
               for n in range(1, total + 1)]
    report = th.themes(digests)
    assert report.restricted_reviews == shown
    if shown is None:
        assert "not shown" in report.restricted_summary
        assert str(with_restricted) not in report.restricted_summary
    elif shown:
        assert report.restricted_summary.startswith(f"{shown} of {total} reviews")


# -- learning themes ----------------------------------------------------------------------------

def test_learning_about_police_checks_and_supervision_forms_two_themes():
    report = th.themes(_learning_digests(POLICE, SUPERVISION))
    assert len(report.themes) == 2 and not any(t.other for t in report.themes)
    police, supervision = report.themes  # six reviews each, so by label
    assert _texts(police) == set(POLICE) and _texts(supervision) == set(SUPERVISION)
    assert police.reviews == supervision.reviews == 6
    assert police.terms[:2] == ("domestic abuse", "police checks")
    assert supervision.terms[0] == "supervision"
    assert 3 <= len(police.terms) <= th.MAX_LABEL_TERMS
    assert police.label == ", ".join(police.terms)


def test_learning_about_four_topics_forms_one_theme_for_each():
    report = th.themes(_learning_digests(POLICE[:5], SUPERVISION[:5], WORKLOAD, CHILDREN))
    groups = sorted((sorted(_texts(t)) for t in report.themes), key=lambda g: g[0])
    assert groups == sorted((sorted(t) for t in (POLICE[:5], SUPERVISION[:5], WORKLOAD,
                                                 CHILDREN)), key=lambda g: g[0])
    assert [t.label.split(", ")[0] for t in report.themes] == [
        "children services", "domestic abuse", "supervision", "workload"]


def test_shuffled_reviews_give_the_same_report():
    digests = _learning_digests(POLICE[:5], SUPERVISION[:5], WORKLOAD, CHILDREN)
    digests = [replace(d, region=["North", "South"][d.review_id % 2],
                       factors=(("workload", "hindered", "systemic"),
                                ("training", "helped", None))[: d.review_id % 3])
               for d in digests]
    first = th.themes(digests)
    for seed in (1, 2, 3):
        shuffled = [replace(d, learning=tuple(reversed(d.learning)),
                            factors=tuple(reversed(d.factors))) for d in digests]
        random.Random(seed).shuffle(shuffled)
        again = th.themes(shuffled)
        assert again == first
        assert json.dumps(again.as_dict()) == json.dumps(first.as_dict())


def test_when_two_pairs_of_learning_are_equally_alike_the_same_pair_is_grouped_in_any_order():
    # B shares three terms with A and three with C, so A-B and B-C are exactly as close;
    # at this threshold only one pair can form, and which one must not depend on the order.
    a = "Police checks were chased by nobody."
    b = "Police checks and home visits were both late."
    c = "Home visits were not booked."
    digests = [th.ReviewDigest(n, f"X{n}", date(2025, 1, 1), learning=(("L1", "team", t),))
               for n, t in enumerate((a, b, c), start=1)]
    answers = set()
    for seed in range(12):
        shuffled = digests[:]
        random.Random(seed).shuffle(shuffled)
        report = th.themes(shuffled, distance_threshold=0.5)
        answers.add(tuple((t.label, tuple(i.review_id for i in t.items))
                          for t in report.themes))
    assert answers == {(("police checks, home visits", (1, 2)), (th.OTHER_LEARNING, (3,)))}


def test_themes_are_ordered_by_the_number_of_reviews_they_come_from():
    supervision = _learning_digests(SUPERVISION)
    police = [th.ReviewDigest(100 + n, f"Y{n}", date(2025, 3, 3),
                              learning=(("L1", "team", POLICE[2 * n]),
                                        ("L2", "individual", POLICE[2 * n + 1])))
              for n in range(3)]
    report = th.themes(supervision + police)
    assert [(t.terms[0], len(t.items), t.reviews) for t in report.themes] == [
        ("supervision", 6, 6), ("domestic abuse", 6, 3)]
    assert [(i.review_id, i.learning_id) for i in report.themes[1].items] == [
        (100, "L1"), (100, "L2"), (101, "L1"), (101, "L2"), (102, "L1"), (102, "L2")]


def test_no_learning_gives_no_themes():
    assert th.themes(_five()).themes == ()
    assert th.themes([]).themes == ()


def test_a_single_piece_of_learning_is_a_theme_of_its_own():
    digests = [th.ReviewDigest(1, "X1", date(2025, 1, 1),
                               learning=(("L1", "system", POLICE[0]),))]
    (theme,) = th.themes(digests).themes
    assert not theme.other and theme.reviews == 1
    assert theme.terms[0] == "police" and "domestic" in theme.terms
    assert [i.text for i in theme.items] == [POLICE[0]]


def test_identical_learning_in_several_reviews_is_one_theme():
    digests = _learning_digests([SUPERVISION[0]] * 4)
    (theme,) = th.themes(digests).themes
    assert not theme.other and theme.reviews == 4 and len(theme.items) == 4


def test_learning_with_no_words_beyond_stop_words_goes_to_other_learning():
    empty = ("None.", "See above.", "N/A")
    report = th.themes(_learning_digests(POLICE[:3] + empty))
    police, other = report.themes
    assert _texts(police) == set(POLICE[:3]) and not police.other
    assert other.other and other.label == th.OTHER_LEARNING and other.terms == ()
    assert _texts(other) == set(empty) and other.reviews == 3
    (alone,) = th.themes(_learning_digests(["None."])).themes
    assert alone.other


def test_learning_that_shares_no_words_with_the_rest_goes_to_other_learning():
    odd = "Interpreters were not booked for the induction."
    report = th.themes(_learning_digests((*SUPERVISION, odd)))
    assert [t.other for t in report.themes] == [False, True]
    assert _texts(report.themes[0]) == set(SUPERVISION)
    assert _texts(report.themes[1]) == {odd}


def test_themes_beyond_the_number_asked_for_go_to_other_learning():
    report = th.themes(_learning_digests(POLICE, SUPERVISION), max_themes=1)
    kept, other = report.themes
    assert _texts(kept) == set(POLICE) and other.other and _texts(other) == set(SUPERVISION)
    assert report.max_themes == 1


def test_the_theme_frame_lists_every_piece_of_learning_under_its_theme():
    report = th.themes(_learning_digests(POLICE, SUPERVISION))
    frame = report.theme_frame()
    assert len(frame) == 12
    assert frame.groupby("theme")["review_id"].nunique().tolist() == [6, 6]
    assert set(frame.loc[frame["theme"] == report.themes[1].label, "text"]) == set(SUPERVISION)


# -- the report as a whole ----------------------------------------------------------------------

def test_the_report_says_which_filters_and_settings_made_it():
    report = th.themes(_five(), region="North", start=date(2025, 1, 1), end=date(2025, 12, 31),
                       max_themes=5)
    content = json.loads(json.dumps(report.as_dict()))
    assert content["filters"] == {"region": "North", "start": "2025-01-01",
                                  "end": "2025-12-31"}
    assert content["grouping"]["max_themes"] == 5
    assert content["grouping"]["distance_threshold"] == th.DISTANCE_THRESHOLD
    assert content["reviews"] == 3
    assert content["judgements"] == {"yes": 0, "partly": 2, "no": 1, "not_judged": 0}
    assert content["factors"][0] == {"code": "workload", "title": "Workload",
                                     "level": "organisational", "reviews": 2, "hindered": 2,
                                     "helped": 1, "systemic": 1}
    # workload and supervision are both named in two reviews: the taxonomy's order decides
    assert report.factor_frame()["code"].tolist()[:2] == ["workload", "supervision"]
    assert report.finding_frame().iloc[0].tolist() == ["DA-CHECKS", 3]


def test_importing_the_module_does_not_load_scikit_learn():
    code = "import sys, sfo.domain.themes; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_the_public_api_is_listed_and_sorted():
    defined = {n for n, v in vars(th).items() if not n.startswith("_")
               and getattr(v, "__module__", None) == th.__name__}
    assert defined <= set(th.__all__)
    assert all(hasattr(th, n) for n in th.__all__)
    assert th.__all__ == sorted(th.__all__, key=lambda n: (not n.isupper(),
                                                           not n[0].isupper(), n))
