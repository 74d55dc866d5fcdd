"""SkyPilot task export: names worked out by hand from SkyPilot's catalog conventions, the task
parsed by SkyPilot's own loader (``sky.Task.from_yaml_config``, offline), and the CLI."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from test_report_samples import comparison_result, sample_plan, serving_result, training_result
from xpuplan.catalog.load import load_catalog
from xpuplan.cli import run
from xpuplan.errors import InputError
from xpuplan.export import NodeSpec, node_spec, skypilot_task_yaml


@pytest.fixture(scope="module")
def catalog() -> Any:
    return load_catalog()


def _plan(provider: str, region: str, instance: str, accelerator: str, chips: int, instances: int,
          pricing: str = "on_demand") -> dict[str, Any]:  # fmt: skip
    return {
        "provider": provider,
        "region": region,
        "instance": instance,
        "accelerator_id": accelerator,
        "chips": chips,
        "instances": instances,
        "pricing": pricing,
    }


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        # 64 p5.48xlarge of 8 H100: 64 nodes of H100:8.
        (_plan("aws", "us-east-1", "p5.48xlarge", "nvidia-h100-sxm", 512, 64),
         NodeSpec("aws/us-east-1", "H100:8", 64, False)),
        # Spot pricing turns use_spot on.
        (_plan("aws", "us-east-1", "p5.48xlarge", "nvidia-h100-sxm", 16, 2, "spot"),
         NodeSpec("aws/us-east-1", "H100:8", 2, True)),
        # TPU v5p slices count TensorCores, 2 per chip: 64 chips = tpu-v5p-128 on one node.
        (_plan("gcp", "us-east5", "v5p-slice", "google-tpu-v5p", 64, 64),
         NodeSpec("gcp/us-east5", "tpu-v5p-128", 1, False)),
        # TPU v5e slices count chips: 16 chips = tpu-v5litepod-16.
        (_plan("gcp", "us-central1", "v5litepod-slice", "google-tpu-v5e", 16, 16),
         NodeSpec("gcp/us-central1", "tpu-v5litepod-16", 1, False)),
        # GCP a3-megagpu-8g is SkyPilot's H100-MEGA.
        (_plan("gcp", "us-central1", "a3-megagpu-8g", "nvidia-h100-sxm", 16, 2),
         NodeSpec("gcp/us-central1", "H100-MEGA:8", 2, False)),
        # Azure names its H100 NVL VMs "H100".
        (_plan("azure", "eastus", "Standard_NC80adis_H100_v5", "nvidia-h100-nvl", 4, 2),
         NodeSpec("azure/eastus", "H100:2", 2, False)),
        # Trainium2 instances carry 16 chips.
        (_plan("aws", "us-east-2", "trn2.48xlarge", "aws-trainium2", 64, 4),
         NodeSpec("aws/us-east-2", "Trainium2:16", 4, False)),
    ],
)  # fmt: skip
def test_node_spec_by_hand(plan: dict[str, Any], expected: NodeSpec) -> None:
    assert node_spec(plan) == expected


def test_per_gpu_rows_become_whole_boards(catalog: Any) -> None:
    # RunPod prices single H100 SXM GPUs of 8-GPU NVLink servers; 8 GPUs -> 1 x H100-SXM:8,
    # and RunPod's region code EU-RO-1 is a SkyPilot zone of region RO.
    plan = _plan("runpod", "EU-RO-1", "H100 SXM (Community Cloud)", "nvidia-h100-sxm", 8, 8)
    assert node_spec(plan, catalog) == NodeSpec("runpod/RO/EU-RO-1", "H100-SXM:8", 1, False)
    # Without the catalog neither the board nor the zone's region is known: 8 one-GPU nodes,
    # which SkyPilot cannot launch on RunPod (single-node clusters only).
    assert "single-node" in str(node_spec(plan))
    # 512 GPUs are 64 nodes: not on RunPod.
    big = _plan("runpod", "EU-RO-1", "H100 SXM (Community Cloud)", "nvidia-h100-sxm", 512, 512)
    assert "single-node clusters only on runpod (needs 64)" in str(node_spec(big, catalog))


def test_one_chip_machine_types_are_nodes_of_one(catalog: Any) -> None:
    # trn2.3xlarge carries one Trainium2: 8 of them are 8 nodes of Trainium2:1 (SkyPilot's
    # catalog row: trn2.3xlarge,Trainium2,1.0), never Trainium2:8.
    plan = _plan("aws", "ap-southeast-4", "trn2.3xlarge", "aws-trainium2", 8, 8, "spot")
    assert node_spec(plan, catalog) == NodeSpec("aws/ap-southeast-4", "Trainium2:1", 8, True)


@pytest.mark.parametrize(
    ("plan", "reason"),
    [
        (_plan("tensorwave", "us", "MI300X (per GPU)", "amd-mi300x", 8, 8), "not a SkyPilot cloud"),
        (_plan("aws", "us-east-1", "x", "intel-gaudi3", 8, 1), "has no SkyPilot name"),
        (_plan("aws", "us-east-1", "p5.48xlarge", "nvidia-h100-sxm", 13, 2), "do not split"),
        # SkyPilot's catalog lists MI300X on RunPod only.
        (
            _plan("azure", "eastus", "Standard_ND96isr_MI300X_v5", "amd-mi300x", 64, 8),
            "SkyPilot's catalog has no MI300X on azure",
        ),
        (_plan("runpod", "US-TX-3", "H100 SXM", "nvidia-h100-sxm", 16, 2), "single-node"),
        (
            _plan("aws", "us-east-1", "p5.48xlarge", "nvidia-h100-sxm", 16, 2, "capacity_block"),
            "capacity-block pricing",
        ),
        (
            _plan("lambda", "us-east-1", "gpu_8x_h100_sxm5", "nvidia-h100-sxm", 8, 1, "spot"),
            "no spot instances on lambda",
        ),
    ],
)
def test_node_spec_reasons(plan: dict[str, Any], reason: str) -> None:
    spec = node_spec(plan)
    assert isinstance(spec, str) and reason in spec


def _task(text: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def test_training_task_lists_same_node_count_alternatives() -> None:
    # Plans by cost: trn2 (32 nodes), H100 aws (64), TPU v5p (1 node), MI300X azure (64),
    # H100 gcp (64). Plan 2 keeps the 64-node plans SkyPilot can launch as any_of, in rank
    # order; MI300X on Azure is not in SkyPilot's catalog, so it is a comment saying why.
    text = skypilot_task_yaml(training_result(), plan=2)
    task = _task(text)
    assert task["num_nodes"] == 64
    assert task["resources"]["use_spot"] is False
    assert task["resources"]["any_of"] == [
        {"infra": "aws/us-east-1", "accelerators": "H100:8"},
        {"infra": "gcp/us-central1", "accelerators": "H100:8"},
    ]
    assert "SkyPilot's catalog has no MI300X on azure" in text
    assert "run" not in task and "setup" not in task  # placeholders stay commented out


def test_default_plan_is_the_best_launchable() -> None:
    result = training_result()
    result["plans"].insert(
        0, sample_plan("amd-mi300x", "AMD", "ROCm", "tensorwave", "us", "MI300X (per GPU)",
                       1, 512, 1.5, 10 * 86400),
    )  # fmt: skip
    text = skypilot_task_yaml(result)
    assert "'tensorwave' is not a SkyPilot cloud" in text
    assert _task(text)["resources"]["any_of"] == [
        {"infra": "aws/us-east-2", "accelerators": "Trainium2:16"}
    ]
    with pytest.raises(InputError, match="plan=1: cannot export to SkyPilot"):
        skypilot_task_yaml(result, plan=1)


def test_max_candidates_and_bad_arguments() -> None:
    task = _task(skypilot_task_yaml(training_result(), plan=2, max_candidates=2))
    assert len(task["resources"]["any_of"]) == 2
    with pytest.raises(InputError, match="plan: 9 is not between 1 and 5"):
        skypilot_task_yaml(training_result(), plan=9)
    with pytest.raises(InputError, match="max_candidates"):
        skypilot_task_yaml(training_result(), max_candidates=0)
    with pytest.raises(InputError, match="unknown kind"):
        skypilot_task_yaml({"kind": "model"})


def test_serving_fleet_entry_is_a_skyserve_service() -> None:
    # Entry 1: 3 replicas of one p5.48xlarge (8 H100, tp=8) each.
    task = _task(skypilot_task_yaml(serving_result()))
    assert task["service"] == {"readiness_probe": "/health", "replicas": 3}
    assert task["num_nodes"] == 1
    assert task["resources"]["ports"] == 8000
    assert task["resources"]["any_of"] == [{"infra": "aws/us-east-1", "accelerators": "H100:8"}]


def test_serving_replicas_sharing_an_instance(catalog: Any) -> None:
    # 6 tp=2 replicas on 2 p5.48xlarge (8 GPUs): each node runs 4 engines; 2 service replicas.
    result = serving_result()
    entry = result["fleet"]["entries"][0]
    entry.update(chips_per_replica=2, replicas=6, instances=2, chips=12, layout={"tp": 2})
    text = skypilot_task_yaml(result, catalog=catalog)
    task = _task(text)
    assert task["service"]["replicas"] == 2
    assert task["resources"]["any_of"][0]["accelerators"] == "H100:8"
    assert "of 4 engines (tp=2) each" in text


def test_comparison_exports_its_options() -> None:
    text = skypilot_task_yaml(comparison_result())
    task = _task(text)
    assert task["num_nodes"] == 64  # option 1: 64 x p5.48xlarge
    assert task["resources"]["any_of"] == [{"infra": "aws/us-east-1", "accelerators": "H100:8"}]
    assert "amd-mi300x x512 on azure" in text  # option 2, left out with its reason


@pytest.fixture
def sky(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """SkyPilot's package, with HOME in a temporary folder (it writes ~/.sky state)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    return pytest.importorskip("sky", reason="skypilot not installed (pip install skypilot)")


@pytest.mark.parametrize(
    ("result", "plan"),
    [(training_result(), 1), (training_result(), 2), (training_result(), 3),
     (serving_result(), 1), (comparison_result(), 1)],
)  # fmt: skip
def test_skypilot_parses_the_task(sky: Any, result: dict[str, Any], plan: int) -> None:
    config = _task(skypilot_task_yaml(result, plan=plan))
    task = sky.Task.from_yaml_config(copy.deepcopy(config))  # the loader consumes its input
    assert task.num_nodes == config["num_nodes"]
    got = {(str(r.cloud).lower(), r.region, *r.accelerators.items()) for r in task.resources}
    want = set()
    for alt in config["resources"]["any_of"]:
        cloud, region = alt["infra"].split("/")[:2]
        name, _, count = alt["accelerators"].partition(":")
        want.add((cloud, region, (name, int(count or 1))))
    assert got == want
    assert all(r.use_spot is config["resources"]["use_spot"] for r in task.resources)
    if "service" in config:
        assert task.service is not None


def test_skypilot_rejects_a_broken_task(sky: Any) -> None:
    # The parser is strict: a misspelt field fails (so the test above can fail too).
    with pytest.raises(Exception, match="acceleratorz"):
        sky.Task.from_yaml_config({"resources": {"acceleratorz": "H100:8"}})


def test_cli_export_writes_task_and_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_json = tmp_path / "plan.json"
    plan_json.write_text(json.dumps(training_result()))
    task, report = tmp_path / "task.yaml", tmp_path / "report.html"
    code = run(["export", str(plan_json), "--skypilot", str(task), "--report", str(report),
                "--plan", "2"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert _task(task.read_text())["num_nodes"] == 64
    assert report.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, ["--skypilot", "t.yaml"], "file"),
        ("{not json", ["--skypilot", "t.yaml"], "is not valid JSON"),
        ('{"kind": "catalog"}', ["--skypilot", "t.yaml"], "unknown kind 'catalog'"),
        ("[1, 2]", ["--report", "r.html"], "expected a JSON object"),
        ("TRAIN", [], "nothing to write"),
        ("TRAIN", ["--skypilot", "t.yaml", "--plan", "7"], "--plan: 7 is not between 1 and 5"),
        ("TRAIN", ["--skypilot", "t.yaml", "--report", "missing/r.html"], "does not exist"),
    ],
)
def test_cli_export_bad_input(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    content: str | None,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    if content is not None:
        Path("plan.json").write_text(
            json.dumps(training_result()) if content == "TRAIN" else content
        )
    before = sorted(p.name for p in tmp_path.iterdir())
    assert run(["export", "plan.json", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
