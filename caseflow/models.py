"""Every mapped class, imported once so that Base.metadata is complete (Alembic, tests)."""

from caseflow.assessment.models import AgeAssessment
from caseflow.audit.models import AuditEvent, ChainHead
from caseflow.auth.models import ApiToken, LoginSession, Organisation, RecoveryCode, User
from caseflow.cases.models import Case, CaseClock, CaseCodeCounter
from caseflow.db import Base
from caseflow.handover.models import Handover
from caseflow.jobs.models import FileChunk, Job, StoredFile
from caseflow.notifications.models import Notification
from caseflow.protection.models import Erasure
from caseflow.reintegration.models import FollowUp, Referral
from caseflow.reports.models import CaseFacts
from caseflow.review.models import ReviewRound, Vote
from caseflow.screening.models import Campaign
from caseflow.sealing.models import CaseIdentity, CaseKey, IdentityToken

__all__ = [
    "AgeAssessment", "ApiToken", "AuditEvent", "Base", "Case", "CaseFacts", "CaseClock", "CaseCodeCounter", "ChainHead",
    "FileChunk", "FollowUp", "Job", "Notification", "StoredFile",
    "Campaign", "CaseIdentity", "CaseKey", "Erasure", "IdentityToken", "RecoveryCode",
    "Handover", "LoginSession", "Organisation", "Referral", "ReviewRound", "User", "Vote",
]
