from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Arm(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ARM_UNSPECIFIED: _ClassVar[Arm]
    ARM_BASELINE: _ClassVar[Arm]
    ARM_CANDIDATE: _ClassVar[Arm]
ARM_UNSPECIFIED: Arm
ARM_BASELINE: Arm
ARM_CANDIDATE: Arm

class AssignRequest(_message.Message):
    __slots__ = ("agent_id", "run_id", "unit_id")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    run_id: str
    unit_id: str
    def __init__(self, agent_id: _Optional[str] = ..., run_id: _Optional[str] = ..., unit_id: _Optional[str] = ...) -> None: ...

class Shadow(_message.Message):
    __slots__ = ("version_id", "experiment_id")
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPERIMENT_ID_FIELD_NUMBER: _ClassVar[int]
    version_id: str
    experiment_id: str
    def __init__(self, version_id: _Optional[str] = ..., experiment_id: _Optional[str] = ...) -> None: ...

class AssignResponse(_message.Message):
    __slots__ = ("agent_id", "run_id", "version_id", "experiment_id", "arm", "shadow")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPERIMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ARM_FIELD_NUMBER: _ClassVar[int]
    SHADOW_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    run_id: str
    version_id: str
    experiment_id: str
    arm: Arm
    shadow: Shadow
    def __init__(self, agent_id: _Optional[str] = ..., run_id: _Optional[str] = ..., version_id: _Optional[str] = ..., experiment_id: _Optional[str] = ..., arm: _Optional[_Union[Arm, str]] = ..., shadow: _Optional[_Union[Shadow, _Mapping]] = ...) -> None: ...
