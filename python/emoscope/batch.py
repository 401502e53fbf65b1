def batch(*a, **k):
    raise NotImplementedError
