"""``cupy.cuda.runtime`` double: one device (``cupy._double.device_count``, settable)."""
from .. import _double


class CUDARuntimeError(RuntimeError):
    pass


def getDeviceCount():
    return _double.device_count


def memGetInfo():
    return _double.memory["free"], _double.memory["total"]


def deviceSynchronize():
    pass
