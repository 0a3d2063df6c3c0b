from qinqing.core.errors import Conflict, Forbidden, ValidationFailed


class BundleInvalid(ValidationFailed):
    code = "bundle_invalid"


class AgentNotAuthorised(Forbidden):
    code = "agent_not_authorised"


class StepRefused(Conflict):
    code = "step_refused"
