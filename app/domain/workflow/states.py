"""State groups of an application, named once: every module that asks "is it admitted?", "may the
trainee still change it?" or "is it waiting for a reviewer?" imports the group from here."""
from models import Status

S = Status

EDITABLE = (S.DRAFT, S.RETURNED)  # the trainee may change it and submit
UNDER_REVIEW = (S.SUBMITTED, S.COUNTY_APPROVED, S.CITY_APPROVED, S.BASE_APPROVED)  # the profile is locked
AWAITING_CONFIRMATION = (S.SUBMITTED, S.BASE_APPROVED)  # residency: not yet confirmed on site
CONFIRMED_OR_LATER = (S.CONFIRMED, S.ADMITTED, S.NOT_ADMITTED, S.REPORTED)  # confirmed on site, scored
ADMITTED = (S.ADMITTED, S.REPORTED)  # a seat taken in the batch
ADMISSION_DECIDED = (S.ADMITTED, S.NOT_ADMITTED, S.REPORTED)  # the admission result is published
PRINTABLE = (S.SUBMITTED, S.BASE_APPROVED, *CONFIRMED_OR_LATER)  # the 报名表 can be printed
APPLIED = PRINTABLE  # residency: counts as an applicant of its first choice (submitted, not returned or rejected)
