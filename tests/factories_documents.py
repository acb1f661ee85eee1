"""A complete early-look document context for tests: a made-up case, synthetic people only.

``early_look_context()`` returns a fresh copy of the shape documented in
``sfo.documents.early_look``; tests change what they need. Nothing here is
real data: the people, staff and places are invented.
"""

from __future__ import annotations

import copy
from typing import Any

RESTRICTED_TEXT = ("Phased return to work after a bereavement in August; reduced hours "
                   "agreed with the line manager.")

_CONTEXT: dict[str, Any] = {
    "status": "draft",
    "audience": "restricted",
    "title": "Early look",
    "generated": "1 December 2026",
    "case": {
        "crn": "X320741", "name": "Alex Example", "pdu": "North Testshire",
        "team": "N07UAT Testbridge Offender Management",
        "sentence": "Community order, 18 months (rehabilitation activity requirement, "
                    "alcohol treatment requirement)",
        "start": "8 January 2026", "as_of": "20 November 2026",
        "as_of_source": "the charge (CNOC contact on 20 November 2026)",
        "rosh": "High (assessment completed 3 February 2026)",
        "registrations": ["ADVP Domestic abuse perpetrator", "RCCO Child concerns",
                          "RHRH High RoSH"],
        "practitioner": "Jo Placeholder (PSO, N07A726; 7 months in grade)",
    },
    "deadlines": [
        {"label": "Early look to the head of the PDU", "due": "27 November 2026",
         "working_days_left": 0, "overdue": True},
        {"label": "SFO notification to the public protection group", "due": "4 December 2026",
         "working_days_left": 3, "overdue": False},
    ],
    "chronology": [
        {"date": "8 January 2026", "time": "", "category": "Sentence",
         "title": "Community order made at Testbridge Magistrates' Court",
         "detail": "Index offence: assault by beating (domestic).", "record_id": "E1"},
        {"date": "12 January 2026", "time": "10:00", "category": "Appointment",
         "title": "Initial appointment attended",
         "detail": "Induction completed; licence-style conditions explained.\n"
                   "Mr Example said he \"didn't see the point\" of the alcohol work.",
         "record_id": "C1001"},
        {"date": "3 February 2026", "time": "", "category": "Assessment",
         "title": "OASys assessment completed: RoSH high",
         "detail": "Risk to known adult (ex-partner) and children in the household.",
         "record_id": "A2001"},
        {"date": "16 March 2026", "time": "14:30", "category": "Appointment",
         "title": "Failed to attend, no acceptable reason (AFTA decided 18 March)",
         "detail": "First warning letter sent.", "record_id": "C1004"},
        {"date": "2 June 2026", "time": "09:15", "category": "Police",
         "title": "Police call-out to the home address (CARR)",
         "detail": "Domestic incident reported by a neighbour; no arrest.",
         "record_id": "C1011"},
        {"date": "20 November 2026", "time": "11:00", "category": "Charge",
         "title": "Charged with grievous bodily harm with intent",
         "detail": "CNOC contact recorded by the duty officer.", "record_id": "C1030"},
    ],
    "checklist": [
        {"id": "EL1", "area": "Assessment",
         "question": "Was the risk of serious harm assessed on time and consistently with "
                     "what was known?",
         "answer_label": "Yes", "proposed_label": "Yes", "confirmed": True,
         "override_reason": "", "evidence": ["A2001"],
         "known": ["Index offence domestic abuse", "ADVP registration active"],
         "summaries": ["Assessment completed 18 working days after sentence, within the "
                       "12-week pre-sentence allowance."]},
        {"id": "EL2", "area": "Reviewing",
         "question": "Was the risk assessment reviewed after the police call-out on 2 June?",
         "answer_label": "No", "proposed_label": "No", "confirmed": False,
         "override_reason": "", "evidence": ["C1011"],
         "known": ["Police call-out recorded 2 June 2026"],
         "summaries": ["No assessment was completed in the 10 working days after the "
                       "call-out.", "The next assessment was due by 26 May 2026 (16 weeks)."]},
        {"id": "EL3", "area": "Implementation and delivery",
         "question": "Were absences enforced in line with the standard?",
         "answer_label": "Partly", "proposed_label": "Yes", "confirmed": True,
         "override_reason": "The warning was sent, but the second absence on 30 April "
                            "was recorded as acceptable <without a reason> & not reviewed.",
         "evidence": ["C1004", "C1007"], "known": ["One warning already issued"],
         "summaries": ["Warning letter sent within 7 days of the first failure."]},
    ],
    "gaps": [
        {"date": "12 June 2026", "rule_id": "RISK-REVIEW",
         "summary": "The risk assessment was not reviewed within 10 working days of the "
                    "police call-out on 2 June 2026.", "evidence": ["C1011"]},
        {"date": "26 May 2026", "rule_id": "OVERSIGHT",
         "summary": "No management oversight was recorded between 9 March and 20 November "
                    "2026 on a high-risk case.", "evidence": ["C1003"]},
    ],
    "good_practice": [
        {"date": "18 March 2026", "rule_id": "ENFORCEMENT",
         "summary": "The first failure to attend was decided and a warning sent within two "
                    "working days."},
    ],
    "actions": [
        {"description": "Complete a risk review with the new allocated officer and share it "
                        "with the police public protection unit.",
         "owner_role": "Senior probation officer", "due": "4 December 2026", "done": False},
        {"description": "Check children's services have been told of the charge.",
         "owner_role": "Practitioner", "due": "2 December 2026", "done": True},
    ],
    "working_context": [
        {"category": "Workload", "text": "Workload measurement was 124% of capacity for six "
         "consecutive weeks from 1 June 2026 (threshold: over 110% for 4 weeks).",
         "is_mitigation": True, "restricted": False, "source": "Workload measurement tool"},
        {"category": "Caseload", "text": "58 cases, 9 of them high RoSH.",
         "is_mitigation": True, "restricted": False, "source": "nDelius caseload report"},
        {"category": "Training", "text": "Domestic abuse training was booked but the course "
         "was cancelled by the provider; no date was available before November.",
         "is_mitigation": True, "restricted": False, "source": "Learning record"},
        {"category": "Experience", "text": "PSO with 7 months in grade holding a high-risk "
         "domestic abuse case (allocation not recorded as a considered choice).",
         "is_mitigation": True, "restricted": False, "source": "Staff record"},
        {"category": "Team", "text": "Team at 72% of establishment (3 PO vacancies).",
         "is_mitigation": True, "restricted": False, "source": "PDU staffing return"},
        {"category": "Personal circumstances", "text": RESTRICTED_TEXT,
         "is_mitigation": True, "restricted": True, "source": "Line manager"},
    ],
    "working_context_considered": {"by": "Morgan Sample (SPO)", "at": "30 November 2026"},
    "just_culture": [
        {"act": "Not reviewing the risk assessment after the police call-out on 2 June 2026",
         "steps": [
             {"step": "Deliberate harm", "question": "Was there any intention to cause harm?",
              "answer": "No", "note": ""},
             {"step": "Health", "question": "Is there evidence of ill health or substance "
              "misuse?", "answer": "No", "note": "See restricted entries (HR only)."},
             {"step": "Foresight", "question": "Did the individual depart from an agreed "
              "protocol?", "answer": "Yes",
              "note": "Protocol: review within 10 working days of a significant event."},
             {"step": "Substitution", "question": "Would another individual with the same "
              "experience, in the same circumstances, have acted the same way?",
              "answer": "Possibly", "note": "Two other PSOs in the team carried similar "
              "caseloads at >120% over the same weeks."},
             {"step": "Mitigation", "question": "Were there significant mitigating "
              "circumstances?", "answer": "Yes",
              "note": "Workload, training unavailable, no oversight recorded."},
         ],
         "outcome_label": "Learning for the system only", "hr_advice": None,
         "wider_learning": "Allocation of high-risk domestic abuse cases to PSOs without DA "
                           "training; oversight gaps when SPO posts are vacant."},
    ],
    "options": ["No case to answer", "Learning for the system only",
                "Individual development (training, supervision)",
                "Performance improvement plan",
                "Refer for HR advice about a disciplinary investigation"],
    "recommendation": {"label": "Full SFO review",
                       "rationale": "The charge meets the SFO criteria. The gaps found are "
                                    "system-level (oversight, allocation, training) and "
                                    "should be looked at in the full review."},
    "not_supplied": ["Supervision records (formal supervision dates)",
                     "Partner-agency (police) information-sharing log"],
    "sign_off": None,
    "fingerprint": None,
}


def early_look_context(**changes: Any) -> dict[str, Any]:
    """A fresh early-look context; keyword arguments replace top-level keys."""
    ctx = copy.deepcopy(_CONTEXT)
    ctx.update(copy.deepcopy(changes))
    return ctx


def final_context(**changes: Any) -> dict[str, Any]:
    """The same early look, signed off and final (the renderer fills in its fingerprint)."""
    ctx = early_look_context(status="final", sign_off={
        "name": "Morgan Sample", "role": "Senior probation officer", "date": "1 December 2026"})
    for q in ctx["checklist"]:
        q["confirmed"] = True
    ctx.update(copy.deepcopy(changes))
    return ctx


# The SFO review (sfo.documents.review): a made-up case, synthetic people only.
STAFF_CODE = "N07A726"
STAFF_NAME = "Jo Placeholder"
SENSITIVE_TITLE = "Disclosure from a third party about the partner's new address"
RESTRICTED_FACTOR = "Practitioner's health during the period"

_REVIEW: dict[str, Any] = {
    "status": "draft",
    "version": "2",
    "change_notes": [
        {"version": "1", "note": "First draft for the quality assurance panel.",
         "by": "Independent reviewer", "date": "20 January 2027"},
        {"version": "2", "note": "Chronology corrected after factual accuracy checks.",
         "by": "Independent reviewer", "date": "3 February 2027"},
    ],
    "title": "SFO review",
    "generated": "3 February 2027",
    "case": {"crn": "X320741", "name": "Alex Example",
             "sentence": "Community order, 18 months", "start": "8 January 2026",
             "as_of": "20 November 2026",
             "risk_profile": "High RoSH to a known adult (partner); ADVP registration"},
    "chronology": [
        {"date": "8 January 2026", "time": "", "category": "Sentence",
         "title": "Community order made", "detail": "18 months, RAR 20 days, ATR 6 months.",
         "record_id": "C1001", "staff_code": "", "sensitive": False},
        {"date": "12 January 2026", "time": "10:30", "category": "Induction",
         "title": "Induction appointment attended",
         "detail": f"Seen by {STAFF_CODE} ({STAFF_NAME}); licence conditions explained.",
         "record_id": "C1002", "staff_code": STAFF_CODE, "sensitive": False},
        {"date": "3 March 2026", "time": "", "category": "Third party",
         "title": SENSITIVE_TITLE, "detail": "Address given by a neighbour.",
         "record_id": "C1003", "staff_code": STAFF_CODE, "sensitive": True},
    ],
    "episodes": [
        {"id": "E1", "title": "The police call-out in March",
         "expected": "A home visit within five working days and a risk review.",
         "happened": "A telephone contact; the risk review was not updated.",
         "known_then": ["The call-out was logged as verbal only."],
         "why_it_made_sense": "The police log recorded no injuries and no arrest.",
         "good_practice": "Safeguarding enquiry made the same day.",
         "evidence": ["C1002", "C1003"]},
    ],
    "analysis": {"assessment": "The OASys assessment was completed on time.",
                 "planning": "The sentence plan named the partner.",
                 "implementation_and_delivery": "Appointments were kept.",
                 "reviewing": "No review after the call-out.",
                 "risk_management": "The risk management plan was not updated.",
                 "management_oversight": "Supervision records show the case was discussed."},
    "judgement": {"all_reasonable_steps": "Partly",
                  "reasons": "Most steps were taken; the review after March was not."},
    "factors": [
        {"code": "F-ORG-02", "label": "Caseload above the workload measure",
         "level": "Organisational", "seips": "Organisation", "london": "Work environment",
         "effect": "Less time for home visits.", "scope": "Team-wide",
         "known_at_the_time": True,
         "evidence": [{"text": "Workload report, March 2026", "grade": "A"}],
         "restricted": False},
        {"code": "F-IND-01", "label": RESTRICTED_FACTOR, "level": "Individual",
         "seips": "Person", "london": "Individual (staff)", "effect": "Reduced hours.",
         "scope": "This case", "known_at_the_time": True,
         "evidence": [{"text": "HR record", "grade": "B"}], "restricted": True},
    ],
    "learning": {"individual": [f"{STAFF_NAME} to refresh DA risk training."],
                 "team": ["Team to use the call-out checklist."],
                 "organisational": ["Police call-outs to trigger a risk review."],
                 "system": ["Daily police log shared with probation."]},
    "actions": [
        {"id": "A1", "description": "Add call-outs to the risk review triggers.",
         "owner_role": "Head of PDU", "due": "31 March 2027", "status": "Open",
         "links": ["F-ORG-02"]},
    ],
    "quality": [{"severity": "Warning", "where": "Chronology",
                 "message": "One entry has no time."}],
    "family_summary": f"The review found that most steps were taken. {STAFF_NAME} saw "
                      "your family member's partner regularly.",
    "staff": [{"code": STAFF_CODE, "name": STAFF_NAME}],
    "fingerprint": None,
}


def review_context(**changes: Any) -> dict[str, Any]:
    """A complete SFO review context (draft unless changed), fresh each call."""
    ctx = copy.deepcopy(_REVIEW)
    ctx.update(changes)
    return ctx
