"""All models, imported here so Alembic and the app see one metadata."""

from participate.models.analysis import (  # noqa: F401
    Analysis,
    AnalysisState,
    AnalysisStatus,
)
from participate.models.api import ApiToken  # noqa: F401, E402
from participate.models.core import (  # noqa: F401
    Agency,
    AuditLog,
    MailMessage,
    Role,
    User,
    WorkerHeartbeat,
)
from participate.models.discussion import (  # noqa: F401
    ContentStatus,
    Discussion,
    PolisParticipant,
    Reply,
    Report,
    ReportReason,
    Statement,
    StatementTally,
    Vote,
    VoteHistory,
    VoteValue,
)
from participate.models.identity import (  # noqa: F401, E402
    EndorsementHold,
    PhoneChallenge,
    PhoneNumber,
)
from participate.models.mfa import OidcIdentity, RecoveryCode, TotpCredential  # noqa: F401, E402
from participate.models.moderation import (  # noqa: F401
    Appeal,
    BannedTerm,
    DiscussionModeration,
    ItemKind,
    ItemState,
    ModerationItem,
    ModerationNotice,
    ThreadLock,
)
from participate.models.participants import ParticipantProfile  # noqa: F401, E402
from participate.models.projects import (  # noqa: F401
    MilestoneState,
    ProgressKpi,
    ProgressMilestone,
    ProgressReport,
    Project,
    ProjectBudgetYear,
    ProjectCounty,
    ProjectFollow,
    ProjectKpi,
    ProjectMilestone,
    ProjectNotification,
    ProjectNotificationKind,
    ProjectQuestion,
    ProjectStatus,
    QuestionStatus,
)
from participate.models.proposals import (  # noqa: F401
    AgencyResponse,
    Decision,
    Endorsement,
    Follow,
    Notification,
    NotificationKind,
    Proposal,
    ProposalKind,
    ProposalMeasure,
    ProposalStatus,
    RejectionReason,
    ResponseExtension,
    ResponsePoint,
)
from participate.models.regulations import (  # noqa: F401
    ArticleChange,
    DraftStatus,
    RegulationArticle,
    RegulationComment,
    RegulationCommentAnalysis,
    RegulationCommentVote,
    RegulationDraft,
    RegulationResponseRow,
)
from participate.models.search import SearchDocument  # noqa: F401, E402
from participate.models.surveys import (  # noqa: F401, E402
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyParticipation,
    SurveyQuestion,
    SurveyResponse,
    SurveySection,
    SurveyStatus,
)
