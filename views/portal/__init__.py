"""The trainee portal: registration, profile maintenance (学员信息维护) and applications (学员报名)."""
from views.portal import apply, businesses, exams, notice, profile, register, routes  # noqa: F401  (routes register on bp)
from views.portal.blueprint import bp

__all__ = ["bp"]
