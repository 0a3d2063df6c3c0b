"""Every state change of a case: one function each, owning (or joining) its service transaction.

- `submission`: submit a case, open a case row, start a waiting step, attach materials, decide by rules;
- `review`: approve, reject, request a supplement;
- `applicant`: add materials, withdraw;
- `licences`: issue and revoke e-licences;
- `pending`: keep the files a form accepted until it goes through.
- `duplicates`: refuse a second application a matter allows only once.
"""

from qinqing.cases.services._common import FORM, Upload, move_case
from qinqing.cases.services.applicant import add_materials, withdraw_case
from qinqing.cases.services.duplicates import (
    existing_application,
    existing_summary,
    lock_enterprise,
    refuse_duplicate,
)
from qinqing.cases.services.licences import revoke_licence
from qinqing.cases.services.materials import attach_data_materials, attach_upload, missing_materials
from qinqing.cases.services.pending import keep_uploads, kept_uploads, release_uploads
from qinqing.cases.services.review import approve_case, reject_case, request_supplement
from qinqing.cases.services.submission import (
    as_written,
    open_case,
    start_case,
    submit_case,
)

__all__ = [
    "FORM",
    "Upload",
    "add_materials",
    "approve_case",
    "as_written",
    "attach_data_materials",
    "attach_upload",
    "existing_application",
    "existing_summary",
    "keep_uploads",
    "kept_uploads",
    "lock_enterprise",
    "missing_materials",
    "move_case",
    "open_case",
    "refuse_duplicate",
    "reject_case",
    "release_uploads",
    "request_supplement",
    "revoke_licence",
    "start_case",
    "submit_case",
    "withdraw_case",
]
