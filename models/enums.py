"""Enumerations stored as short strings, with their Chinese labels and check constraints."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint


class Choices:
    """An ordered set of ``(value, label)`` pairs; subclasses list them in ``items``."""

    items: tuple[tuple[str, object], ...] = ()

    @classmethod
    def values(cls) -> list[str]:
        return [value for value, _ in cls.items]

    @classmethod
    def label(cls, value) -> str:
        """The Chinese label of ``value``; an unknown value is shown as is."""
        for item_value, label in cls.items:
            if item_value == value:
                return str(label)
        return "" if value is None else str(value)

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(value, str(label)) for value, label in cls.items]

    @classmethod
    def lazy_choices(cls) -> list[tuple[str, object]]:
        """``(value, lazy label)`` pairs, safe to build at import time."""
        return list(cls.items)

    @classmethod
    def check(cls, column: str, name: str | None = None, nullable: bool = False) -> CheckConstraint:
        """A check constraint that keeps ``column`` within the values."""
        quoted = ", ".join(f"'{v}'" for v in cls.values())
        expr = f"{column} IN ({quoted})"
        if nullable:
            expr = f"{column} IS NULL OR {expr}"
        return CheckConstraint(expr, name=name or column)


class RegionLevel(Choices):
    PROVINCE, CITY, COUNTY = "province", "city", "county"
    items = ((PROVINCE, _l("Province")), (CITY, _l("City")), (COUNTY, _l("County")))


class InstitutionLevel(Choices):
    PRIMARY, SECONDARY, TERTIARY, OTHER = "primary", "secondary", "tertiary", "other"
    items = (
        (PRIMARY, _l("Primary care institution")),
        (SECONDARY, _l("Secondary hospital")),
        (TERTIARY, _l("Tertiary hospital")),
        (OTHER, _l("Other")),
    )


class InstitutionKind(Choices):
    TOWNSHIP, COMMUNITY, VILLAGE, HOSPITAL, MATERNAL, CDC, OTHER = (
        "township", "community", "village", "hospital", "maternal", "cdc", "other")
    items = (
        (TOWNSHIP, _l("Township health centre")),
        (COMMUNITY, _l("Community health service centre")),
        (VILLAGE, _l("Village clinic")),
        (HOSPITAL, _l("Hospital")),
        (MATERNAL, _l("Maternal and child health hospital")),
        (CDC, _l("Disease control centre")),
        (OTHER, _l("Other")),
    )


class Program(Choices):
    GP_TRANSFER, RESIDENCY, ASSISTANT_GP = "gp_transfer", "residency", "assistant_gp"
    items = (
        (GP_TRANSFER, _l("GP transfer training")),
        (RESIDENCY, _l("Resident standardized training")),
        (ASSISTANT_GP, _l("Assistant GP training")),
    )


class Business(Choices):
    """The businesses (业务) a trainee may open at registration."""

    CME, RESIDENCY, GP_TRANSFER, ASSISTANT_GP, ORIENTED, SHORTAGE, OTHER = (
        "cme", "residency", "gp_transfer", "assistant_gp", "oriented", "shortage", "other")
    items = (
        (CME, _l("Continuing medical education")),
        (RESIDENCY, _l("Resident standardized training")),
        (GP_TRANSFER, _l("GP transfer training")),
        (ASSISTANT_GP, _l("Assistant GP training")),
        (ORIENTED, _l("Order-oriented medical students")),
        (SHORTAGE, _l("Shortage talents")),
        (OTHER, _l("Other business")),
    )


class Gender(Choices):
    MALE, FEMALE = "male", "female"
    items = ((MALE, _l("Male")), (FEMALE, _l("Female")))


class IdType(Choices):
    RESIDENT, PASSPORT, HK_MACAO, TAIWAN = "resident", "passport", "hk_macao", "taiwan"
    items = (
        (RESIDENT, _l("Resident identity card")),
        (PASSPORT, _l("Passport")),
        (HK_MACAO, _l("Mainland travel permit for Hong Kong and Macao residents")),
        (TAIWAN, _l("Mainland travel permit for Taiwan residents")),
    )


class PoliticalStatus(Choices):
    CPC, PROBATIONARY, LEAGUE, OTHER_PARTY, MASSES = "cpc", "probationary", "league", "other_party", "masses"
    items = (
        (CPC, _l("CPC member")),
        (PROBATIONARY, _l("Probationary CPC member")),
        (LEAGUE, _l("Communist Youth League member")),
        (OTHER_PARTY, _l("Member of a democratic party")),
        (MASSES, _l("Ordinary citizen")),
    )


class EducationLevel(Choices):
    JUNIOR, BACHELOR, MASTER, DOCTOR = "junior_college", "bachelor", "master", "doctor"
    items = (
        (JUNIOR, _l("Junior college")),
        (BACHELOR, _l("Bachelor")),
        (MASTER, _l("Master")),
        (DOCTOR, _l("Doctor")),
    )


class Degree(Choices):
    NONE, BACHELOR, MASTER, DOCTOR = "none", "bachelor", "master", "doctor"
    items = ((NONE, _l("No degree")), (BACHELOR, _l("Bachelor's degree")),
             (MASTER, _l("Master's degree")), (DOCTOR, _l("Doctoral degree")))


class JobTitle(Choices):
    """Physician titles, ordered from junior to senior."""

    RESIDENT, ATTENDING, ASSOCIATE_CHIEF, CHIEF, OTHER = (
        "resident", "attending", "associate_chief", "chief", "other")
    items = (
        (RESIDENT, _l("Resident physician")),
        (ATTENDING, _l("Attending physician")),
        (ASSOCIATE_CHIEF, _l("Associate chief physician")),
        (CHIEF, _l("Chief physician")),
        (OTHER, _l("Other")),
    )


class TitleGrade(Choices):
    NONE, JUNIOR, INTERMEDIATE, ASSOCIATE_SENIOR, SENIOR = (
        "none", "junior", "intermediate", "associate_senior", "senior")
    items = (
        (NONE, _l("No title")),
        (JUNIOR, _l("Junior")),
        (INTERMEDIATE, _l("Intermediate")),
        (ASSOCIATE_SENIOR, _l("Associate senior")),
        (SENIOR, _l("Senior")),
    )


class PracticeCategory(Choices):
    CLINICAL, DENTAL, PUBLIC_HEALTH, TCM = "clinical", "dental", "public_health", "tcm"
    items = ((CLINICAL, _l("Clinical")), (DENTAL, _l("Dental")),
             (PUBLIC_HEALTH, _l("Public health")), (TCM, _l("Traditional Chinese medicine")))


class BatchRound(Choices):
    FIRST, SUPPLEMENTARY = "first", "supplementary"
    items = ((FIRST, _l("First round")), (SUPPLEMENTARY, _l("Supplementary round")))


class BatchStatus(Choices):
    DRAFT, OPEN, CLOSED, ARCHIVED = "draft", "open", "closed", "archived"
    items = ((DRAFT, _l("Not published")), (OPEN, _l("Open")),
             (CLOSED, _l("Closed")), (ARCHIVED, _l("Archived")))


class Identity(Choices):
    GP_TRANSFER, COMMISSIONED, OPEN_ENTRY, GRADUATE = "gp_transfer", "commissioned", "open_entry", "graduate"
    items = (
        (GP_TRANSFER, _l("GP transfer")),
        (COMMISSIONED, _l("Commissioned by unit")),
        (OPEN_ENTRY, _l("Open entry")),
        (GRADUATE, _l("Fresh graduate")),
    )


class AdmissionResult(Choices):
    PENDING, ADMITTED, NOT_ADMITTED = "pending", "admitted", "not_admitted"
    items = ((PENDING, _l("Pending")), (ADMITTED, _l("Admitted")), (NOT_ADMITTED, _l("Not admitted")))


class ReviewLevel(Choices):
    COUNTY, CITY, BASE, PROVINCE, SUPPORT, TRAINEE = "county", "city", "base", "province", "support", "trainee"
    items = (
        (COUNTY, _l("County")), (CITY, _l("City")), (BASE, _l("Training base")),
        (PROVINCE, _l("Province")), (SUPPORT, _l("Technical support")), (TRAINEE, _l("Trainee")),
    )


class AttachmentKind(Choices):
    PHOTO, ID_CARD, DIPLOMA, DEGREE_CERT, TITLE_CERT, LICENCE_PAGE, QUALIFICATION_CERT = (
        "photo", "id_card", "diploma", "degree_cert", "title_cert", "licence_page", "qualification_cert")
    OUTING_PROOF, GP_WORK_PROOF, TEACHER_CERT, RESIDENCY_CERT, BACKBONE_CERT, OTHER = (
        "outing_proof", "gp_work_proof", "teacher_cert", "residency_cert", "backbone_cert", "other")
    AGREEMENT = "agreement"  # the signed 培训协议 or 劳动合同, uploaded by the base
    items = (
        (PHOTO, _l("One-inch photo")),
        (ID_CARD, _l("Identity card")),
        (DIPLOMA, _l("Diploma")),
        (DEGREE_CERT, _l("Degree certificate")),
        (TITLE_CERT, _l("Title certificate")),
        (LICENCE_PAGE, _l("Practising licence page")),
        (QUALIFICATION_CERT, _l("Physician qualification certificate")),
        (OUTING_PROOF, _l("Proof of leave for training")),
        (GP_WORK_PROOF, _l("Proof of GP work")),
        (TEACHER_CERT, _l("GP teacher training certificate")),
        (RESIDENCY_CERT, _l("GP residency completion certificate")),
        (BACKBONE_CERT, _l("GP backbone training certificate")),
        (AGREEMENT, _l("Signed training agreement or labour contract")),
        (OTHER, _l("Other")),
    )


class AuditAction(Choices):
    CREATE, UPDATE, DELETE = "create", "update", "delete"
    items = ((CREATE, _l("Create")), (UPDATE, _l("Update")), (DELETE, _l("Delete")))


class MasterMajor(Choices):
    """The professional master's majors a university files (临床医学 or 口腔医学; 中医 is not filed)."""

    CLINICAL, DENTAL = "clinical", "dental"
    items = ((CLINICAL, _l("Clinical medicine")), (DENTAL, _l("Stomatology")))


class ApprovalState(Choices):
    """A request the province decides (跨市培养 approval)."""

    PENDING, APPROVED, REFUSED = "pending", "approved", "refused"
    items = ((PENDING, _l("Awaiting approval")), (APPROVED, _l("Approved")), (REFUSED, _l("Refused")))
class WithdrawalReason(Choices):
    """Why a trainee left 住培 (退培原因); 其他 carries a text."""

    PERSONAL, HEALTH, STUDY, EMPLOYMENT, DISCIPLINE, NOT_GRADUATED, OTHER = (
        "personal", "health", "study", "employment", "discipline", "not_graduated", "other")
    items = (
        (PERSONAL, _l("Personal or family reasons")),
        (HEALTH, _l("Health reasons")),
        (STUDY, _l("Further study (postgraduate)")),
        (EMPLOYMENT, _l("Took up other employment")),
        (DISCIPLINE, _l("Violation of training discipline")),
        (NOT_GRADUATED, _l("Did not graduate on time")),
        (OTHER, _l("Other")),
    )


class WithdrawalStatus(Choices):
    PENDING, APPROVED, RETURNED = "pending", "approved", "returned"
    items = ((PENDING, _l("Awaiting province approval")), (APPROVED, _l("Approved")),
             (RETURNED, _l("Returned by the province")))


class NoticeLevel(Choices):
    """Who publishes a notice, and so whom it reaches (its scope)."""

    PROVINCE, CITY, COUNTY, BASE = "province", "city", "county", "base"
    items = ((PROVINCE, _l("Provincial health commission")), (CITY, _l("City health commission")),
             (COUNTY, _l("County health commission")), (BASE, _l("Training base")))
