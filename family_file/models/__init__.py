"""The family file: details, health sheets, authorised people, documents, rules, changes."""

from .documents import (
    DocumentRequirement,
    FamilyQuotient,
    RulesAcceptance,
    RulesVersion,
    SupportingDocument,
)
from .records import (
    AuthorisedPerson,
    ChildDetails,
    FamilyFileSettings,
    GuardianDetails,
    HealthSheet,
    PendingChange,
    SheetConsultation,
)

__all__ = [
    "AuthorisedPerson",
    "ChildDetails",
    "DocumentRequirement",
    "FamilyFileSettings",
    "FamilyQuotient",
    "GuardianDetails",
    "HealthSheet",
    "PendingChange",
    "RulesAcceptance",
    "RulesVersion",
    "SheetConsultation",
    "SupportingDocument",
]
