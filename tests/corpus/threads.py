# Two threads that allocate and hash (the GIL is released while hashing
# large buffers, so both run), then the main thread joins them.
import hashlib
import threading

out = {}


def work(n):
    h = hashlib.sha256()
    blocks = []
    for i in range(40):
        b = bytes((i * n + j) & 0xff for j in range(4096)) * 32
        blocks.append(b)
        h.update(b)
    out[n] = h.hexdigest()


ts = [threading.Thread(target=work, args=(k,)) for k in (1, 2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
assert len(out) == 2
