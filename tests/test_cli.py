"End to end: the installed `vmt` console script tunes, evaluates its own output, and fails in one line."
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from value_model_tuning.value_model import seed_dataset

VMT = shutil.which("vmt") or str(Path(sys.executable).with_name("vmt"))


def vmt(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([VMT, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    ps = seed_dataset()
    ps.to_file(tmp / "preds.csv")
    (tmp / "vm.json").write_text(json.dumps({"weights": {t: 2.0 for t in ps.tasks}, "comment": "kept"}))
    return tmp, ps.tasks


def test_console_script_installed():
    assert Path(VMT).exists(), "the `vmt` console script is not installed (pip install -e . --no-deps)"


def test_gap_round_trip(files):
    tmp, tasks = files
    targets = ",".join(f"{t}={v}" for t, v in zip(tasks, [0.3, 0.5, 0.07, 0.07, 0.06]))
    p = vmt("gap", "--predictions", str(tmp / "preds.csv"), "--value-model", str(tmp / "vm.json"),
            "--targets", targets, "--k", "50", "--out", str(tmp / "tuned.json"), "--report", str(tmp / "r.md"))
    assert p.returncode == 0, p.stderr
    doc = json.loads((tmp / "tuned.json").read_text())
    assert list(doc) == ["weights", "comment", "tuning"] and list(doc["weights"]) == list(tasks)
    assert abs(sum(doc["weights"].values()) - 10.0) < 1e-9
    t = doc["tuning"]
    assert t["k"] == 50
    # honest on any machine; that the tune converges is a claim tested over perturbed starts in test_robustness_part_a.py
    assert t["converged"] == (t["max_error"] <= 1e-3)
    assert ("vmt: warning" in p.stderr) == (not t["converged"]), p.stderr  # a miss is never silent
    e = vmt("evaluate", "--predictions", str(tmp / "preds.csv"), "--value-model", str(tmp / "tuned.json"), "--json")
    assert e.returncode == 0, e.stderr
    ev = json.loads(e.stdout)
    assert ev["k"] == 50
    for task in tasks: assert abs(ev["fraction"][task] - t["fractions"][task]) < 1e-9
    assert "| task |" in (tmp / "r.md").read_text()


@pytest.mark.parametrize("args,needle", [
    (["evaluate", "--predictions", "missing.parquet", "--value-model", "vm.json"], "predictions file not found"),
    (["gap", "--predictions", "preds.csv", "--value-model", "vm.json", "--targets", "task_0", "--out", "x.json"],
     "expected task=value"),
    (["regret", "--predictions", "preds.csv", "--value-model", "vm.json", "--out", "x.json",
      "--importances", "task_0=0.5,task_1=0.5,task_2=0,task_3=0,task_4=0,p_nope=0"], "unknown task(s) ['p_nope']"),
])
def test_errors_one_line(files, args, needle):
    tmp, _ = files
    args = [str(tmp / a) if a.endswith((".json", ".csv", ".parquet")) else a for a in args]
    p = vmt(*args)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vmt: error: ") and needle in lines[0], p.stderr
    assert "Traceback" not in p.stderr


# ---------------------------------------------------------------------------------------------------------------
# issue 11: all outputs or none, inputs never overwritten, closed pipes, one clean line, bounded time

def gap_args(tmp, tasks, *extra):
    targets = ",".join(f"{t}={v}" for t, v in zip(tasks, [0.3, 0.5, 0.07, 0.07, 0.06]))
    return ["gap", "--predictions", str(tmp / "preds.csv"), "--value-model", str(tmp / "vm.json"), "--targets", targets, *extra]


def one_line_error(p, needle):
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2 and len(lines) == 1 and lines[0].startswith("vmt: error: ") and needle in lines[0], p.stderr


def test_a_failed_run_leaves_no_output(files):
    tmp, tasks = files
    out = tmp / "never.json"
    p = vmt(*gap_args(tmp, tasks, "--out", str(out), "--report", str(tmp / "preds.csv" / "sub" / "r.md")))
    one_line_error(p, "cannot write output")
    assert not out.exists() and not list(tmp.glob(".*.tmp")) and not (tmp / "preds.csv").is_dir()


def test_out_naming_an_input_is_refused_unless_forced(files):
    tmp, tasks = files
    before = {f: (tmp / f).read_bytes() for f in ("vm.json", "preds.csv")}
    for out in (tmp / "vm.json", tmp / "sub" / ".." / "preds.csv"):  # by resolved path, not by spelling
        one_line_error(vmt(*gap_args(tmp, tasks, "--out", str(out))), "is the input")
    one_line_error(vmt(*gap_args(tmp, tasks, "--out", str(tmp / "ok.json"), "--report", str(tmp / "vm.json"))), "is the input")
    assert {f: (tmp / f).read_bytes() for f in before} == before  # nothing was touched
    shutil.copy(tmp / "vm.json", tmp / "vm2.json")
    args = gap_args(tmp, tasks, "--out", str(tmp / "vm2.json"), "--force")
    args[args.index("--value-model") + 1] = str(tmp / "vm2.json")
    p = vmt(*args)
    assert p.returncode == 0, p.stderr
    assert "tuning" in json.loads((tmp / "vm2.json").read_text())


def test_a_closed_pipe_ends_quietly(files):
    tmp, _ = files
    args = [VMT, "evaluate", "--predictions", str(tmp / "preds.csv"), "--value-model", str(tmp / "vm.json"), "--json"]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()  # the reader is gone before vmt writes a byte: its write meets a closed pipe
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 0 and err == "", err
    sh = subprocess.run(["bash", "-o", "pipefail", "-c", " ".join(args) + " | head -1"], capture_output=True, text=True, timeout=120)
    assert (sh.returncode, sh.stdout, sh.stderr) == (0, "{\n", ""), (sh.returncode, sh.stderr)


def test_malformed_json_is_one_clean_line(files):
    tmp, _ = files
    (tmp / "bad.json").write_text("{nope")
    p = vmt("evaluate", "--predictions", str(tmp / "preds.csv"), "--value-model", str(tmp / "bad.json"))
    one_line_error(p, "not valid JSON")
    assert p.stderr.count(str(tmp / "bad.json")) == 1, p.stderr


def test_time_limit_reaches_the_solver(files):
    "DE on the seed data runs for seconds, so a 0.05 s limit must stop it (the default pattern search ends in ~20 ms)"
    tmp, tasks = files
    imp = ",".join(f"{t}={v}" for t, v in zip(tasks, [0.3, 0.5, 0.07, 0.07, 0.06]))
    p = vmt("regret", "--predictions", str(tmp / "preds.csv"), "--value-model", str(tmp / "vm.json"), "--importances", imp,
            "--out", str(tmp / "r.json"), "--method", "de", "--time-limit", "0.05", "--max-iter", "100000")
    assert p.returncode == 0 and "vmt: warning:" in p.stderr and "time_limit" in p.stderr, p.stderr
    t = json.loads((tmp / "r.json").read_text())["tuning"]
    assert not t["converged"] and "time limit of 0.05 s reached" in t["message"]


@pytest.mark.parametrize("doc, needle", [
    ('{"weights": {"task_0": 1, "task_1": "2"}}', "weight for task 'task_1' must be a number; got '2'"),
    ('{"weights": [1, 2]}', "'weights' must map task names to numbers; got list"),
    ('[1, 2]', "value-model config must be an object with a 'weights' key; got list"),
])
def test_wrongly_typed_value_model_is_one_clean_line(files, doc, needle):
    "A wrong type in the value-model JSON (TypeError inside) is a clean one-line error naming the task, exit 2"
    tmp, _ = files
    (tmp / "typed.json").write_text(doc)
    p = vmt("evaluate", "--predictions", str(tmp / "preds.csv"), "--value-model", str(tmp / "typed.json"))
    one_line_error(p, needle)
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr and p.stdout == "", p.stderr
    assert p.stderr.count(str(tmp / "typed.json")) == 1, p.stderr
