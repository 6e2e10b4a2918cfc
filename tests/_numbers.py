"""Every number in a JSON-like result (dicts, lists, tuples, arrays), for the finiteness checks
of the smoke and runner tests: booleans, None and strings are not numbers."""


def numbers(obj):
    """Yield every int and float inside ``obj``, depth first."""
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return
    if isinstance(obj, (int, float)):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from numbers(v)
    else:
        for v in obj:
            yield from numbers(v)
