"""Topic search: ranking quality on the starter pack, the confidence threshold, near-tie preferences and
an index that follows content imports."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.chat.coach import Coach
from bot.imports.packs import import_content
from bot.replies import LessonCard, Notice
from content.packs import STARTER
from content.search import MIN_SCORE, NEAR_TIE, SYNONYM, Hit, LessonIndex, SearchDoc, Verdict, confident, judge
from content.search_terms import AMOUNT_TERM, words
from store.db import Database
from store.models import Delivery
from tests.content.search_queries import (
    ADJACENT_OFF_TOPIC,
    AUDIT,
    EMPLOYEE_QUERIES,
    FRESH,
    HELD_OUT,
    NEW_OFF_TOPIC,
    OFF_TOPIC,
)
from tests.support.org import load_sample_org
from tests.support.starter_search import starter_index

# What people type, and the lesson an L&D author would want them to get.
QUERIES = [
    ("who needs to approve a $3000 laptop purchase", "procurement-approval-thresholds"),
    ("I clicked a link in a weird email and typed my password", "infosec-clicked-a-phishing-link"),
    ("how do I tell if an email is a scam", "infosec-spot-phishing"),
    ("supplier wants us to pay into a new bank account", "procurement-bank-details-change"),
    ("customer is shouting at me on the phone", "customer-calm-an-upset-customer"),
    ("I left my laptop on the train", "infosec-lost-device"),
    ("someone without a badge followed me through the door", "infosec-tailgating"),
    ("how do I make my feedback more specific", "feedback-specific-sbi"),
    ("accidentally emailed a spreadsheet with customer data to the wrong person", "privacy-report-a-mistake"),
    ("customer asked for a copy of all the data we hold about them", "privacy-data-subject-requests"),
    ("got a bottle of wine from a vendor for christmas", "procurement-supplier-gifts"),
    ("what protective equipment do I need to wear", "safety-ppe-area-sign"),
    ("machine jammed, how do I clear it safely", "safety-lockout-tagout-basics"),
    ("forklift reversing near the walkway", "safety-forklifts-and-pedestrians"),
    ("running a meeting when half the people are remote", "inclusion-hybrid-meetings"),
    ("add subtitles to my training video", "inclusion-captions"),
    ("make my slides work with a screen reader", "inclusion-accessible-documents"),
    ("prepare for a career talk with my manager", "career-prepare-conversation"),
    ("how do I find a mentor", "career-find-a-mentor"),
    ("I keep getting login approval notifications I didn't request", "infosec-unexpected-mfa-prompts"),
    ("email from our CEO asking for an urgent confidential wire transfer", "infosec-ceo-fraud"),
    ("our software subscription renews automatically next month", "procurement-contract-renewals"),
    ("can I split an order in two to stay under the limit", "procurement-no-splitting"),
    ("a box fell off a shelf and nearly hit someone", "safety-report-near-miss"),
    ("how long should we keep old CVs", "privacy-retention-clean-up"),
    ("pick a strong password I can remember", "infosec-three-random-words"),
    ("writing performance reviews without bias", "feedback-fair-reviews"),
    ("what does the pictogram on this chemical drum mean", "safety-chemical-labels"),
    ("colleagues keep mispronouncing my name", "inclusion-names-and-pronouns"),
    ("customer wants a refund I can't give", "customer-saying-no"),
    ("caller asks about his wife's account", "customer-verify-the-caller"),
    ("need to set up a new vendor in the system", "procurement-supplier-onboarding"),
]
UNRELATED = ["quarterly VAT return filing", "kubernetes pod autoscaling", "parental leave policy",
             "expense claim for a taxi", "office wifi password reset"]


@pytest.fixture(scope="module")
def index() -> LessonIndex:
    """The starter pack's index, built once: ranking reads no database, so it is not run per backend."""
    return asyncio.run(starter_index())


def top1(index: LessonIndex, queries: list[tuple[str, frozenset[str]]]) -> float:
    """Share of queries whose first hit is one of the lessons wanted."""
    return sum(bool(h := index.search(q)) and h[0].doc.lesson_id in wanted for q, wanted in queries) / len(queries)


def sure_and_right(index: LessonIndex, queries: list[tuple[str, frozenset[str]]]) -> tuple[int, int]:
    """How many queries search would answer without asking, and how many of those it answers right."""
    sure = [(q, wanted) for q, wanted in queries if confident(index.search(q))]
    return len(sure), sum(index.search(q)[0].doc.lesson_id in wanted for q, wanted in sure)


def test_top_result_is_the_right_lesson_for_most_realistic_queries(index: LessonIndex) -> None:
    fixed = [(q, frozenset([wanted])) for q, wanted in QUERIES] + AUDIT
    assert len(fixed) >= 50 and top1(index, fixed) >= 0.8  # the bar
    sure, right = sure_and_right(index, fixed)
    assert sure >= len(fixed) * 0.6 and right / sure >= 0.9  # when it does not ask, it is right


def test_queries_written_before_tuning_rank_well_too(index: LessonIndex) -> None:
    """The employee queries of tests/content/search_queries.py: half was tuned on, half only measured (see there)."""
    assert len(EMPLOYEE_QUERIES) >= 60 and top1(index, EMPLOYEE_QUERIES) >= 0.8
    assert top1(index, HELD_OUT) >= 0.7 and top1(index, FRESH) >= 0.6
    sure, right = sure_and_right(index, EMPLOYEE_QUERIES)
    assert right / sure >= 0.85


def test_nothing_confident_for_topics_the_pack_does_not_teach(index: LessonIndex) -> None:
    assert [q for q in OFF_TOPIC + NEW_OFF_TOPIC + UNRELATED if confident(index.search(q))] == []
    # Questions that share workplace words with lessons ("approves", "order", "stuck", "expense"). One is still
    # sent: the hybrid-meetings lesson does tell people to share their screen; only meaning would tell them apart.
    sure = {q for q in ADJACENT_OFF_TOPIC if confident(index.search(q))}
    assert sure <= {"how do I share my screen in a teams call"}


def test_amounts_are_one_term_however_they_are_written() -> None:
    for written in ("5000", "$5,000", "5k", "€5.000", "5.000 EUR", "USD 5,000.00", "£5\u00a0000", "5 thousand"):
        assert "5000" in words(f"spend {written}"), written
    assert AMOUNT_TERM in words("spend $5,000") and AMOUNT_TERM not in words("spend 5000")
    assert words("set up 2fa for office 365") == ["set", "up", "2fa", "office", "365"]
    index = LessonIndex([
        SearchDoc("thresholds", "Who approves?", "procurement", 1, text="Over $5,000 Finance approves"),
        SearchDoc("errors", "Error codes", "it", 1, text="Error 000 means the 5 servers are down"),
    ])
    for query in ("expense over 5000", "a 5k purchase", "€5.000"):
        assert [hit.doc.lesson_id for hit in index.search(query)][:1] == ["thresholds"], query


def test_synonyms_find_lessons_in_other_words() -> None:
    docs = [SearchDoc("ppe", "Wear the PPE the sign asks for", "safety", 1, ("safety glasses", "gloves")),
            SearchDoc("privacy", "Share only what is needed", "privacy", 1, ("need to know",))]
    synonyms = [["goggles", "safety glasses", "eye protection"]]
    assert [hit.doc.lesson_id for hit in LessonIndex(docs).search("do I need goggles")] != ["ppe"]
    assert LessonIndex(docs, synonyms).search("do I need goggles")[0].doc.lesson_id == "ppe"
    # A synonym is probably what was meant, not certainly: it covers the query as it scores, at SYNONYM.
    assert LessonIndex(docs, synonyms).search("eye protection")[0].coverage == SYNONYM
    assert LessonIndex(docs, synonyms).search("safety glasses")[0].coverage == 1.0


def test_typos_are_mended_into_words_the_lessons_use() -> None:
    index = LessonIndex([SearchDoc("phishing", "Spot a phishing email", "infosec", 1, ("scam email",)),
                         SearchDoc("tax", "Tax on expenses", "finance", 1, ("tax",))])
    assert index.search("phising emial")[0].doc.lesson_id == "phishing"
    assert index.speller.mend("emial") == "email" and index.speller.mend("taxi") is None  # too short to guess


def test_two_slips_are_mended_only_in_long_words() -> None:
    """"overtime" is two slips from "override": a different word, not a typo. In a long word two slips still
    leave it recognisable."""
    index = LessonIndex([SearchDoc("guard", "Never override a machine guard", "safety", 1, ("override",)),
                         SearchDoc("reviews", "Write fair appraisals", "feedback", 2, ("appraisals",))])
    assert index.speller.mend("overtime") is None and index.speller.mend("overide") == "override"
    assert index.speller.mend("aprasials") == "appraisals"


def test_the_verdict_sends_clear_matches_offers_close_ones_and_says_when_nothing_fits() -> None:
    """Judged on the most relevant hit, whichever near-tie the learner's preference put first."""
    best, other = SearchDoc("best", "B", "c", 1), SearchDoc("other", "O", "c", 2)
    assert judge([Hit(other, MIN_SCORE * 0.5, 0.3, 0.3), Hit(best, MIN_SCORE * 1.1, 0.9, 0.95)]) is Verdict.SURE
    # Two close matches (a near tie, which a learner's preferences may reorder): the person chooses, however well
    # the best covers the words. A lead beyond the near tie is the ranking's to decide.
    assert judge([Hit(other, MIN_SCORE * 1.05, 0.9, 0.9), Hit(best, MIN_SCORE * 1.1, 0.9, 0.9)]) is Verdict.CHOOSE
    assert judge([Hit(other, MIN_SCORE * 1.1 * (1 - NEAR_TIE) + 0.01, 0.9, 0.95),
                  Hit(best, MIN_SCORE * 1.1, 0.9, 0.95)]) is Verdict.CHOOSE
    assert judge([Hit(other, MIN_SCORE * 1.1 * (1 - NEAR_TIE * 1.5), 0.9, 0.95),
                  Hit(best, MIN_SCORE * 1.1, 0.9, 0.95)]) is Verdict.SURE
    # The best covers too little of the query to be sent, but enough to be worth offering.
    assert judge([Hit(best, MIN_SCORE * 1.1, 0.55, 0.55)]) is Verdict.CHOOSE
    # Far ahead of everything else and scoring high: sent although part of the query is not covered…
    assert judge([Hit(best, MIN_SCORE * 3, 0.55, 0.55), Hit(other, MIN_SCORE, 0.5, 0.5)]) is Verdict.SURE
    assert judge([Hit(best, MIN_SCORE * 3, 0.3, 0.3)]) is Verdict.NOTHING
    assert judge([Hit(best, MIN_SCORE / 5, 0.9, 0.9)]) is Verdict.NOTHING and judge([]) is Verdict.NOTHING
    # The organisation's confirmed answer for these words is sent; a rejected one never is.
    assert judge([Hit(best, MIN_SCORE * 1.1, 0.55, 0.55, learned=2.0)]) is Verdict.SURE
    assert judge([Hit(best, MIN_SCORE * 3, 0.9, 0.9, learned=-2.0)]) is Verdict.CHOOSE


def test_a_lesson_that_leaves_out_the_key_concept_is_sent_only_when_an_example_question_vouches_for_it() -> None:
    """Covering part of the query and far ahead is not enough when what it leaves out is the key concept."""
    best, other = SearchDoc("best", "B", "c", 1), SearchDoc("other", "O", "c", 2)
    far_ahead = [Hit(other, MIN_SCORE, 0.5, 0.5)]
    assert judge([Hit(best, MIN_SCORE * 3, 0.55, 0.55, key=False), *far_ahead]) is Verdict.CHOOSE
    assert judge([Hit(best, MIN_SCORE * 3, 0.55, 0.55, asked=0.55, key=False), *far_ahead]) is Verdict.SURE


def test_a_lesson_that_mentions_the_words_only_in_passing_is_offered_not_sent() -> None:
    """A word in a lesson's text or in a check question's option is incidental; the title, tags and example
    questions say what the lesson is about. Only the score for what the lesson is about counts towards sending."""
    passing = SearchDoc("orders", "Raise your first purchase order", "procurement", 1, ("purchase order",),
                        text="Submit it in the purchasing system.", questions="Attach your expense claim?")
    index = LessonIndex([passing, SearchDoc("other", "Lock your screen", "privacy", 1, ("clear desk",))])
    hit = index.search("submit expenses")[0]
    assert hit.coverage == 1.0 and hit.topical == 0.5
    about = LessonIndex([replace(passing, title="Submit expenses")]).search("submit expenses")[0]
    assert about.coverage == about.topical == 1.0
    assert judge([replace(hit, score=MIN_SCORE * 1.5)]) is Verdict.CHOOSE
    assert judge([replace(about, score=MIN_SCORE * 1.5)]) is Verdict.SURE


def test_common_words_from_two_topics_are_not_answered_confidently() -> None:
    """"bank account" and "change" are everyday words that lessons on two topics are about; "salary" is what the
    question is about, and only a lesson on a third topic is about it. However far ahead the bank-details
    lesson scores, it is offered, not sent; when the key words are its own, it is sent."""
    docs = [SearchDoc("bank", "Check a change of a supplier's bank account", "procurement", 2,
                      ("bank details", "change of bank account"), text="Call the supplier back on a known number."),
            SearchDoc("fraud", "An urgent payment to a new bank account", "infosec", 2, ("ceo fraud", "bank account")),
            SearchDoc("caller", "Verify a caller before you change account details", "customer", 2,
                      ("verify the caller", "account holder")),
            SearchDoc("leak", "Sent the salary spreadsheet to the wrong person", "privacy", 2,
                      ("wrong recipient",), asks=("emailed the salary spreadsheet to the wrong person",))]
    index = LessonIndex(docs)

    def far_ahead(words: str) -> list[Hit]:
        """The hits with scores as high as a real pack gives (the same ratios between them)."""
        hits = index.search(words)
        return [replace(hit, score=hit.score * 3 * MIN_SCORE / hits[0].score) for hit in hits]

    salary = far_ahead("how do I change the bank account for my salary")
    assert salary[0].doc.lesson_id == "bank" and 0.5 <= salary[0].coverage < 0.65 and not salary[0].key
    assert judge(salary) is Verdict.CHOOSE
    supplier = far_ahead("a supplier wants to change their bank account")
    assert supplier[0].doc.lesson_id == "bank" and supplier[0].key and judge(supplier) is Verdict.SURE


def test_a_small_pack_sends_a_clear_match_as_the_starter_pack_does() -> None:
    """Scores are in units of a distinctive word's weight in the pack, so the bar for sending means the same in
    four lessons as in eighty-eight: a query that a lesson's title and tags say in full is sent, a query that
    shares one everyday word with a lesson is not, and a topic the pack does not teach gets nothing."""
    docs = [SearchDoc("mfa", "Unexpected MFA prompts: deny and report", "infosec", 2, ("MFA prompt", "push"),
                      text="Someone who has your password keeps sending prompts. Press deny and tell IT."),
            SearchDoc("phish", "Spot a phishing email", "infosec", 1, ("phishing", "suspicious email"),
                      text="Check the sender and hover over links before you click."),
            SearchDoc("ppe", "Wear the protective equipment the sign asks for", "safety", 1, ("PPE",),
                      text="Each area's sign says what to wear, and the stores hand it out."),
            SearchDoc("gifts", "Gifts from suppliers", "procurement", 1, ("supplier gift", "hospitality"),
                      text="Record any gift over $50 in the register.")]
    index = LessonIndex(docs)
    for query, lesson in [("what do I do with a phishing email", "phish"),
                          ("someone keeps sending me MFA push prompts", "mfa")]:
        hits = index.search(query)
        assert hits[0].doc.lesson_id == lesson and judge(hits) is Verdict.SURE, query
    assert judge(index.search("where do I hand in my timesheet")) is not Verdict.SURE
    assert judge(index.search("kubernetes pod autoscaling")) is Verdict.NOTHING
    assert index.unit < LessonIndex([*docs] * 22).unit / 2  # BM25 in a small pack is a fraction of a large one's


def test_a_word_typed_twice_counts_once() -> None:
    """"I changed *banks*, update my *bank* details": the person asks about bank details once. Counting "bank"
    twice let a lesson on a supplier's bank details cover two thirds of a question about salary."""
    docs = [SearchDoc("bank", "A supplier's change of bank details", "procurement", 2, ("bank details",)),
            SearchDoc("pay", "Your payslip and salary", "people", 1, ("salary", "payslip"))]
    index = LessonIndex(docs, [["bank details", "account number"]])
    twice = index.thesaurus.concepts(index.query("changed banks, update my bank details for my salary").terms)
    assert [concept.typed for concept in twice].count(("bank",)) == 0
    once = index.search("changed, update my bank details for my salary")[0].coverage
    assert index.search("changed banks, update my bank details for my salary")[0].coverage == once


def test_a_phrase_counts_only_where_a_lesson_says_it() -> None:
    """"say my name" means "pronounce" only as a phrase: a lesson that says "say" in one sentence and "names" in
    another does not cover "pronounce"."""
    docs = [SearchDoc("names", "Say names right", "inclusion", 1, ("say my name", "pronunciation")),
            SearchDoc("abuse", "When a caller is abusive", "customer", 3, ("abusive caller",),
                      text="Say once what you will do. He keeps calling me names.")]
    index = LessonIndex(docs, [["pronounce", "say my name"]])
    coverage = {hit.doc.lesson_id: hit.coverage for hit in index.search("how do I pronounce it")}
    assert coverage["names"] == SYNONYM and coverage.get("abuse", 0.0) == 0.0  # "names" says it by a synonym


def test_question_phrasing_does_not_count_against_the_words_that_matter() -> None:
    """"someone keeps", "what do I do if", "am I allowed to" are how people ask, not what they ask about; a
    pack adds its own phrasing."""
    docs = [SearchDoc("mfa", "Unexpected MFA prompts: deny and report", "infosec", 2, ("MFA prompt",)),
            SearchDoc("refuse", "Stop unsafe work", "safety", 1, ("refuse unsafe work",))]
    index = LessonIndex(docs)
    hit = index.search("what do I do if someone keeps sending me MFA prompts")[0]
    assert hit.doc.lesson_id == "mfa" and hit.coverage > index.search("sending me MFA prompts")[0].coverage - 0.01
    assert index.query("am I allowed to refuse unsafe work").terms == index.query("refuse unsafe work").terms
    assert index.query("asking for a friend: MFA prompts").terms != index.query("MFA prompts").terms
    assert LessonIndex(docs, phrasing=["asking for a friend"]).query("asking for a friend: MFA prompts").terms == \
        index.query("MFA prompts").terms
    # Words that carry the intent stay: "who" and "how long" are filler only inside a longer opener.
    assert "keep" in index.query("how long do we keep CVs").terms


def test_the_authors_example_questions_rank_and_confirm_a_lesson() -> None:
    docs = [SearchDoc("gifts", "Supplier gifts", "procurement", 1, ("gift",), text="Record gifts over $50.",
                      asks=("a vendor sent me a hamper, can I keep it",)),
            SearchDoc("food", "Food safety in the canteen", "safety", 1, ("hamper", "food"),
                      text="Keep food cold.")]
    hits = LessonIndex(docs).search("vendor sent a hamper")
    assert hits[0].doc.lesson_id == "gifts" and hits[0].asked == 1.0
    assert LessonIndex([replace(doc, asks=()) for doc in docs]).search("vendor sent a hamper")[0].doc.lesson_id \
        == "food"


def test_stemming_matches_other_forms_of_a_word() -> None:
    index = LessonIndex([
        SearchDoc("a", "Who approves a purchase?", "procurement", 1, ("spending limit",)),
        SearchDoc("b", "Lock your screen", "privacy", 1, ("clear desk",)),
    ])
    assert [hit.doc.lesson_id for hit in index.search("approving purchases")] == ["a"]
    assert index.search("locking screens")[0].doc.lesson_id == "b"


def test_the_learners_preferences_only_break_near_ties() -> None:
    docs = [SearchDoc("feedback-1", "Giving feedback", "feedback", 1),
            SearchDoc("feedback-3", "Giving feedback", "feedback", 3),
            SearchDoc("sales-1", "Giving feedback on sales calls to your team", "sales", 1)]
    index = LessonIndex(docs)

    def prefers_level_3(doc: SearchDoc) -> tuple[float, ...]:
        return (float(abs(doc.level - 3)),)

    def prefers_sales(doc: SearchDoc) -> tuple[float, ...]:
        return (0.0 if doc.competency == "sales" else 1.0,)

    assert index.search("giving feedback", prefer=prefers_level_3)[0].doc.lesson_id == "feedback-3"
    assert index.search("giving feedback")[0].doc.lesson_id == "feedback-1"
    # The sales lesson matches less well (a longer title), so preferring its competency cannot lift it.
    assert index.search("giving feedback", prefer=prefers_sales)[0].doc.competency == "feedback"


async def test_learn_words_sends_a_clear_match_offers_close_ones_and_says_when_nothing_fits(
        coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben = ids["ben@example.com"]
    for typed, lesson in (("who approves my purchase", "procurement-approval-thresholds"),
                          ("a box fell off a shelf and nearly hit someone", "safety-report-near-miss")):
        card = (await coach.command(ben, f"/learn {typed}")).messages[0]
        assert isinstance(card, LessonCard), typed
        async with db.session() as session:
            delivery = await session.get(Delivery, card.delivery_id)
        assert delivery is not None and delivery.origin == "topic" and delivery.lesson_id == lesson

    close = (await coach.command(ben, "/learn lockout")).messages[0]  # the procedure, or where the station is
    assert isinstance(close, Notice) and "Is it one of these?" in close.text
    assert {b.value["l"] for b in close.buttons} == {"safety-lockout-tagout-basics", "safety-lockout-walkthrough"}
    nothing = (await coach.command(ben, "/learn kubernetes pod autoscaling")).messages[0]
    assert isinstance(nothing, Notice) and "/learn suggest" in nothing.text and not nothing.buttons
    for elsewhere in ("/learn how do I book a meeting room", "/learn lunch menu"):
        assert not isinstance((await coach.command(ben, elsewhere)).messages[0], LessonCard), elsewhere


async def test_the_index_follows_content_imports(coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    words = "tune the xylophone before the concert"
    assert isinstance((await coach.command(ids["ben@example.com"], words)).messages[0], Notice)
    pack = tmp_path / "starter"
    shutil.copytree(STARTER, pack)
    (pack / "safety" / "1-xylophone.md").write_text(
        "---\nid: safety-xylophone\ntitle: Tune a xylophone safely before a concert\ncompetency: safety\n"
        "level: 1\nformat: text\nminutes: 2\ntags: [xylophone, concert]\nquestions:\n"
        "  - ask: What do you do first?\n    options:\n      - {text: Check the mallets, correct: true}\n"
        "      - Play loudly\n    explain: Mallets first.\n---\nCheck the mallets, then tune.\n")
    await import_content(db, [pack])
    card = (await coach.command(ids["ben@example.com"], words)).messages[0]
    assert isinstance(card, LessonCard) and "xylophone" in card.title.lower()
    other_words = "/learn tune the glockenspiel before the concert"
    assert not isinstance((await coach.command(ids["ben@example.com"], other_words)).messages[0], LessonCard)
    with (pack / "synonyms.yaml").open("a") as synonyms:
        synonyms.write("- [glockenspiel, xylophone]\n")
    await import_content(db, [pack])  # only the synonyms changed
    card = (await coach.command(ids["ben@example.com"], other_words)).messages[0]
    assert isinstance(card, LessonCard) and "xylophone" in card.title.lower()
