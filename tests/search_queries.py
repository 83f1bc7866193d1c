"""Queries for evaluating topic search, in employees' own words, written before the search was tuned.

Each query comes with the lesson id(s) an L&D author would accept as the top answer. The list alternates:
even positions (`TUNING`) may be looked at while improving the ranking; odd positions (`HELD_OUT`) are only
measured, so their score says how the ranking does on words nobody tuned it for. `FRESH` is a second blind
set (see its note). `OFF_TOPIC` are things employees ask that the starter pack does not teach: search must
not be confident about any of them.
"""

from __future__ import annotations

EMPLOYEE_QUERIES: list[tuple[str, frozenset[str]]] = [
    (q, frozenset(ids.split()))
    for q, ids in [
        ("boss wants me to buy a new monitor, who signs off", "procurement-approval-thresholds"),
        ("what's the spending limit for my team lead", "procurement-approval-thresholds"),
        ("can I order stuff before the PO is approved", "procurement-no-po-no-pay procurement-first-purchase-order"),
        ("invoice stuck, finance says there's no PO", "procurement-no-po-no-pay"),
        ("vendor emailed new account details for payments", "procurement-bank-details-change"),
        ("supplier sent me concert tickets", "procurement-supplier-gifts"),
        ("is it ok to accept a free lunch from a supplier", "procurement-supplier-gifts"),
        ("my brother in law's firm wants to quote for our contract", "procurement-conflict-of-interest"),
        ("how many quotes do I need for a big purchase", "procurement-competitive-quotes"),
        ("our saas licence auto renews, how to cancel in time", "procurement-contract-renewals"),
        ("breaking a big order into smaller ones", "procurement-no-splitting"),
        ("we want to start buying from a new company", "procurement-supplier-onboarding"),
        ("safety glasses required?", "safety-ppe-area-sign"),
        ("ear defenders in the workshop", "safety-ppe-area-sign"),
        ("machine stuck, need to reach inside", "safety-lockout-tagout-basics safety-coach-a-lockout-shortcut"),
        ("where is the padlock station for isolating machines", "safety-lockout-walkthrough"),
        ("almost got hit by a pallet", "safety-report-near-miss"),
        ("I think this job is dangerous can I refuse", "safety-stop-work-authority"),
        ("guy on my line taped over the interlock", "safety-bypassed-guard"),
        ("what does the skull symbol on the bottle mean", "safety-chemical-labels"),
        ("walking in the warehouse with trucks around", "safety-forklifts-and-pedestrians"),
        ("finding the root cause of an accident", "safety-hierarchy-of-controls"),
        ("new starter skipped the lockout to clear a jam", "safety-coach-a-lockout-shortcut"),
        ("customer yelling", "customer-calm-an-upset-customer customer-abusive-caller"),
        ("caller threatening me", "customer-abusive-caller"),
        ("how to start a call with a customer", "customer-open-the-conversation"),
        ("customer wants to speak to my supervisor", "customer-escalate-well"),
        ("i promised a callback and forgot", "customer-promise-what-you-can-keep"),
        ("customer keeps asking the same thing again and again", "customer-listen-and-summarise"),
        ("writing notes in the ticket for the next shift", "customer-clear-case-notes"),
        ("how to write an email reply without jargon", "customer-write-clear-replies inclusion-plain-language"),
        ("someone rings saying they're the account holder's son", "customer-verify-the-caller"),
        ("cant give the customer what they want", "customer-saying-no"),
        ("weird email asking me to log in to office 365", "infosec-spot-phishing"),
        ("i entered my credentials on a fake site", "infosec-clicked-a-phishing-link"),
        ("phone keeps buzzing with sign-in requests", "infosec-unexpected-mfa-prompts"),
        ("how to enable 2fa", "infosec-turn-on-mfa"),
        ("good password ideas", "infosec-three-random-words"),
        ("laptop stolen from my car", "infosec-lost-device"),
        ("stranger walked in behind me at the entrance", "infosec-tailgating"),
        ("who has access to my google drive folder", "infosec-check-your-shared-files"),
        ("remove access for people who left the team", "infosec-access-review"),
        ("director messaged me to buy gift cards urgently", "infosec-ceo-fraud"),
        ("voice on the phone sounded like our CFO asking for a payment", "infosec-ceo-fraud"),
        ("is an email address personal data", "privacy-what-is-personal-data"),
        ("sent a payslip to the wrong colleague", "privacy-report-a-mistake"),
        ("lost a usb stick with the customer list", "privacy-spot-a-breach privacy-report-a-mistake"),
        ("customer wants to be forgotten", "privacy-data-subject-requests"),
        ("do we need consent to process employee data", "privacy-lawful-basis"),
        ("how long can we keep job applicant files", "privacy-retention-clean-up"),
        ("leaving my computer unlocked at lunch", "privacy-lock-screen-clear-desk"),
        ("want to use chatgpt with customer data", "privacy-by-design-new-tool"),
        ("should I send the whole spreadsheet or just the columns they need", "privacy-share-only-what-is-needed"),
        ("my team leaked data, what do I do as the manager", "privacy-lead-breach-first-hour"),
        ("telling a teammate their work is sloppy", "feedback-peer-conversation"),
        ("my manager never listens, how do I tell him", "feedback-upward"),
        ("I got harsh criticism and felt upset", "feedback-receive-well"),
        ("how to thank someone properly for their work", "feedback-give-specific-praise"),
        ("my feedback is too vague", "feedback-specific-sbi"),
        ("annual appraisal writing", "feedback-fair-reviews"),
        ("best performer suddenly doing worse work", "feedback-coaching-conversation"),
        ("is it ok to give feedback over slack", "feedback-in-chat-and-email"),
        ("ask people how I did in my presentation", "feedback-ask-for-feedback"),
        ("I want to get promoted", "career-no-promotion-open career-own-your-growth"),
        ("want to work on a different project to learn", "career-ask-for-stretch"),
        ("what should I say in my career chat", "career-prepare-conversation"),
        ("someone senior to guide me", "career-find-a-mentor"),
        ("my best engineer wants to transfer to another team", "career-support-a-move"),
        ("report doesn't know what they want in their career", "career-coach-an-unsure-report"),
        ("writing a development plan", "career-development-plan"),
        ("list my achievements for an internal job application", "career-strengths-with-evidence"),
        ("deaf colleague in meetings", "inclusion-captions"),
        ("people on the video call can't get a word in", "inclusion-hybrid-meetings"),
        ("quiet people never speak in my meetings", "inclusion-meetings-everyone-heard"),
        ("how to say a colleague's name correctly", "inclusion-names-and-pronouns"),
        ("someone asked me where I'm really from", "inclusion-microaggressions"),
        ("alt text for images", "inclusion-accessible-documents"),
        ("colour blind friendly charts", "inclusion-colour-contrast"),
        ("staff member with dyslexia asked for extra time", "inclusion-adjustment-requests"),
        ("too many acronyms in my emails", "inclusion-plain-language"),
        ("phising emial", "infosec-spot-phishing"),
        ("pasword manager", "infosec-three-random-words"),
        ("recieved a gift from a suplier", "procurement-supplier-gifts"),
        ("forklfit", "safety-forklifts-and-pedestrians"),
        ("PPE", "safety-ppe-area-sign"),
        ("LOTO", "safety-lockout-tagout-basics safety-lockout-walkthrough"),
        ("DSAR", "privacy-data-subject-requests"),
        ("sds sheet", "safety-chemical-labels"),
        ("bcc mistake", "privacy-spot-a-breach privacy-report-a-mistake"),
        ("mentoring", "career-find-a-mentor"),
        ("purchase over 10k", "procurement-approval-thresholds procurement-competitive-quotes"),
        ("buying software for €2.500", "procurement-approval-thresholds"),
    ]
]

AUDIT = [
    (q, frozenset(ids.split()))
    for q, ids in [
        ('what do I do if I get a phishing email', "infosec-clicked-a-phishing-link infosec-spot-phishing"),
        ('expense over 5000', "procurement-approval-thresholds"),
        ('forklift', "safety-forklifts-and-pedestrians"),
        ('angry customer refund', "customer-calm-an-upset-customer customer-saying-no"),
        ('how to give feedback to my boss', "feedback-upward"),
        ('my phone was stolen', "infosec-lost-device"),
        ('someone asked me to hold the door to the office', "infosec-tailgating"),
        ('supplier changed their IBAN', "procurement-bank-details-change"),
        ('I sent an email to the wrong customer with personal details',
         "privacy-report-a-mistake privacy-spot-a-breach"),
        ('a vendor invited me to a football match', "procurement-supplier-gifts"),
        ('my coworker always misses deadlines', "feedback-peer-conversation"),
        ('how do I ask for a promotion', "career-no-promotion-open career-own-your-growth"),
        ('customer swearing at me', "customer-abusive-caller"),
        ('set up two factor authentication', "infosec-turn-on-mfa"),
        ('do I need gloves and goggles', "safety-ppe-area-sign"),
        ('colleague removed the safety guard on the press', "safety-bypassed-guard"),
        ('employee asked for a flexible schedule because of ADHD', "inclusion-adjustment-requests"),
        ("my friend's company is bidding on our tender", "procurement-conflict-of-interest"),
        ('customer wants us to delete their data', "privacy-data-subject-requests"),
        ('chart colors hard to read for colorblind people', "inclusion-colour-contrast"),
        ('how do I raise a purchase order', "procurement-first-purchase-order procurement-no-po-no-pay"),
        ('spilled cleaning chemical', "safety-chemical-labels"),
        ('my report is underperforming', "feedback-coaching-conversation"),
        ('someone called pretending to be IT asking for my password',
         "customer-verify-the-caller infosec-ceo-fraud infosec-unexpected-mfa-prompts"),
    ]
]
"""The 24 queries of the search audit that found the misses fixed here (shown while tuning)."""

TUNING = EMPLOYEE_QUERIES[0::2]
HELD_OUT = EMPLOYEE_QUERIES[1::2]

OFF_TOPIC = [
    "how do I book a meeting room",
    "lunch menu",
    "how many days of holiday do I have left",
    "parking permit for the office car park",
    "printer on the third floor is not working",
    "when is payday this month",
    "how do I change my payroll bank account",
    "christmas party dress code",
]

FRESH = [
    (q, frozenset(ids.split()))
    for q, ids in [
        ("who do I ask before paying for a training course", "procurement-approval-thresholds"),
        ("supplier invoice came in but we never raised an order", "procurement-no-po-no-pay"),
        ("got an email saying our supplier moved banks", "procurement-bank-details-change"),
        ("can i keep the chocolates a supplier sent", "procurement-supplier-gifts"),
        ("my cousin works for one of the bidders", "procurement-conflict-of-interest"),
        ("software contract ends soon what do I do", "procurement-contract-renewals"),
        ("what should I wear on the shop floor", "safety-ppe-area-sign"),
        ("how to make a machine safe before fixing it", "safety-lockout-tagout-basics"),
        ("nobody got hurt but it was close", "safety-report-near-miss"),
        ("unlabelled bottle of liquid in the workshop", "safety-chemical-labels"),
        ("my supervisor told me to skip the safety check", "safety-stop-work-authority"),
        ("the caller won't stop cursing", "customer-abusive-caller"),
        ("customer called back for the third time about the same issue", "customer-promise-what-you-can-keep "
                                                                          "customer-calm-an-upset-customer"),
        ("how should I greet callers", "customer-open-the-conversation"),
        ("text message saying my parcel is waiting, click here", "infosec-spot-phishing"),
        ("my authenticator app keeps asking me to approve logins", "infosec-unexpected-mfa-prompts"),
        ("should I use the same password everywhere", "infosec-three-random-words"),
        ("tablet missing after the conference", "infosec-lost-device"),
        ("a file I shared is public on the internet", "infosec-check-your-shared-files privacy-lead-breach-first-hour"),
        ("is a photo of someone personal data", "privacy-what-is-personal-data"),
        ("old project folders full of employee records", "privacy-retention-clean-up"),
        ("I emailed everyone in cc instead of bcc", "privacy-spot-a-breach privacy-report-a-mistake"),
        ("my manager gives me no feedback at all", "feedback-upward feedback-ask-for-feedback"),
        ("how to give constructive criticism", "feedback-specific-sbi"),
        ("peer keeps taking credit for my work", "feedback-peer-conversation"),
        ("what career options do I have", "career-own-your-growth career-goal-role-gaps"),
        ("my team member wants to leave for a competitor", "career-support-a-move"),
        ("someone in my team uses a wheelchair, what should I change", "inclusion-adjustment-requests"),
        ("making my powerpoint accessible", "inclusion-accessible-documents"),
        ("colleague made a racist joke in a meeting", "inclusion-microaggressions"),
    ]
]
"""Written after the held-out half was measured, before the fixes that measurement prompted: a second blind
test of those fixes."""
