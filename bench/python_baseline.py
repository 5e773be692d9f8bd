#!/usr/bin/env python3
"""Python's multiprocessing figures, in the metric names of AioProcessing's benchmark, for a side-by-side run.

Prints one JSON object a line: {"metric", "value", "unit", "impl"}; each value is the median of several runs.
Usage: python3 bench/python_baseline.py [--quick] [METRIC ...]   (no metric: all it knows)
The benchmark (bench/AioProcessing.Bench) runs this itself when python3 is on PATH.
"""
import json
import multiprocessing as mp
import statistics
import sys
import time

QUICK = "--quick" in sys.argv
WANTED = {a for a in sys.argv[1:] if not a.startswith("--")}
SCALE = 10 if QUICK else 1
REPEATS = 3 if QUICK else 5


def wanted(metric):
    return not WANTED or metric in WANTED


def emit(metric, value, unit, impl):
    print(json.dumps({"metric": metric, "value": round(value, 3), "unit": unit, "impl": impl}), flush=True)


def median_of(run):
    return statistics.median(run() for _ in range(REPEATS))


def consume(q, n, done):
    for _ in range(n):
        q.get()
    done.set()


def pong(req, rep, n):
    for _ in range(n):
        rep.put(req.get())


def lock_loop(lock, n, out):
    for _ in range(200):
        lock.acquire(); lock.release()
    t = time.perf_counter()
    for _ in range(n):
        lock.acquire(); lock.release()
    out.put((time.perf_counter() - t) / n)


def dict_loop(d, n, out):
    for i in range(200):
        d["k"] = i; d["k"]
    t = time.perf_counter()
    for i in range(n):
        d["k"] = i; d["k"]
    out.put((time.perf_counter() - t) / n)


def square(x):
    return x * x


def burn(_):
    # about 10 ms of pure-Python work on this kind of machine
    s = 0
    for i in range(250_000):
        s += i * i
    return s


def noop():
    pass


def queue_stream():
    n = 100_000 // SCALE
    q, done = mp.Queue(), mp.Event()
    p = mp.Process(target=consume, args=(q, n, done)); p.start()
    t = time.perf_counter()
    for i in range(n):
        q.put(i)
    done.wait(); dt = time.perf_counter() - t; p.join()
    return n / dt


def queue_roundtrip():
    m = 20_000 // SCALE
    req, rep = mp.Queue(), mp.Queue()
    p = mp.Process(target=pong, args=(req, rep, m)); p.start()
    req.put(-1); rep.get()  # the child is up
    t = time.perf_counter()
    for i in range(m - 1):
        req.put(i); rep.get()
    dt = time.perf_counter() - t; p.join()
    return dt / (m - 1) * 1e6


def main():
    impl = "python-multiprocessing"
    if wanted("queue_stream_items_per_s"):
        emit("queue_stream_items_per_s", median_of(queue_stream), "items/s", impl)
    if wanted("queue_roundtrip_us"):
        emit("queue_roundtrip_us", median_of(queue_roundtrip), "us", impl)
    if wanted("lock_roundtrip_worker_us"):
        with mp.Manager() as manager:
            def run():
                out, lock = mp.Queue(), manager.Lock()
                p = mp.Process(target=lock_loop, args=(lock, 5000 // SCALE, out)); p.start()
                v = out.get(); p.join()
                return v * 1e6
            emit("lock_roundtrip_worker_us", median_of(run), "us", impl + "-manager")
    if wanted("manager_dict_set_get_worker_us"):
        with mp.Manager() as manager:
            def run():
                out, d = mp.Queue(), manager.dict()
                p = mp.Process(target=dict_loop, args=(d, 5000 // SCALE, out)); p.start()
                v = out.get(); p.join()
                return v * 1e6
            emit("manager_dict_set_get_worker_us", median_of(run), "us", impl + "-manager")
    if wanted("pool_map_items_per_s") or wanted("pool_apply_tasks_per_s") or wanted("pool_cpu_speedup"):
        with mp.Pool(2) as pool:
            pool.map(square, range(1000))
            if wanted("pool_map_items_per_s"):
                k = 1_000_000 // SCALE
                def run_map():
                    t = time.perf_counter(); pool.map(square, range(k)); return k / (time.perf_counter() - t)
                emit("pool_map_items_per_s", median_of(run_map), "items/s", impl)
            if wanted("pool_apply_tasks_per_s"):
                k = 20_000 // SCALE
                def run_apply():
                    t = time.perf_counter(); rs = [pool.apply_async(square, (i,)) for i in range(k)]; [r.get() for r in rs]
                    return k / (time.perf_counter() - t)
                emit("pool_apply_tasks_per_s", median_of(run_apply), "tasks/s", impl)
            if wanted("pool_cpu_speedup"):
                tasks = 40 // (2 if QUICK else 1)
                def run_speedup():
                    t = time.perf_counter(); [burn(i) for i in range(tasks)]; serial = time.perf_counter() - t
                    t = time.perf_counter(); pool.map(burn, range(tasks)); parallel = time.perf_counter() - t
                    return serial / parallel
                # As the .NET side: one warm-up, then the median (a single shot swung 1.80-2.01 between runs).
                run_speedup()
                emit("pool_cpu_speedup", median_of(run_speedup), "x", impl)
    if wanted("process_start_join_ms"):
        for method in ("spawn", "fork"):
            ctx = mp.get_context(method)
            def run():
                t = time.perf_counter(); p = ctx.Process(target=noop); p.start(); p.join()
                return (time.perf_counter() - t) * 1000
            emit("process_start_join_ms", median_of(run), "ms", impl + "-" + method)


if __name__ == "__main__":
    main()
