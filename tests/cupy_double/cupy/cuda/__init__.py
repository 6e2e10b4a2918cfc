"""``cupy.cuda`` double: ``Device`` (settable ``mem_info``), ``Stream``; syncs are no-ops."""
from .. import _double
from . import runtime


class Device:
    def __init__(self, device=None):
        self.id = 0 if device is None else int(device)
        if not 0 <= self.id < runtime.getDeviceCount():
            raise runtime.CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")

    @property
    def mem_info(self):
        """(free, total) bytes; set with ``cupy._double.set_memory(free=, total=)``."""
        return _double.memory["free"], _double.memory["total"]

    def synchronize(self):
        pass

    def use(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    __hash__ = object.__hash__

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class Stream:
    null = None

    def __init__(self, null=False, non_blocking=False, ptds=False):
        self.ptr = 0

    def synchronize(self):
        pass

    def use(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


Stream.null = Stream(null=True)


def get_current_stream(device_id=None):
    return Stream.null


def get_device_id():
    return 0


def is_available():
    return runtime.getDeviceCount() > 0
