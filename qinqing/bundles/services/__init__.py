"""Every state change of a 一件事, by seam:

- `loading`: definitions from the data file, the merged form;
- `submit`: one application → parent case + one child per step;
- `progress`: starting steps as prerequisites are approved (a `CaseClosed` subscriber), withdrawal;
- `agents`: 政府替办, an agent completing a prepared step.
"""

from qinqing.bundles.services.agents import can_act_on, submit_prepared_step
from qinqing.bundles.services.loading import load_bundles, merged_form, steps_of
from qinqing.bundles.services.progress import advance, on_case_closed, withdraw_bundle
from qinqing.bundles.services.submit import (
    acting_enterprise,
    enterprise_label,
    submit_bundle,
    validate_bundle_data,
)

__all__ = [
    "acting_enterprise", "advance", "can_act_on", "enterprise_label", "load_bundles", "merged_form",
    "on_case_closed", "steps_of", "submit_bundle", "submit_prepared_step", "validate_bundle_data", "withdraw_bundle",
]
