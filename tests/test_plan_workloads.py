"""Inference-only chips (the vendor does not support training on them) never get a training plan."""

from xpuplan.catalog.load import load_catalog
from xpuplan.plan import plan_training
from xpuplan.search.filters import OfferingFilter


def test_inferentia2_is_inference_only_in_the_catalog() -> None:
    catalog = load_catalog()
    assert catalog.accelerator("aws-inferentia2").workloads == ("infer",)
    assert "train" in catalog.accelerator("aws-trainium1").workloads


def test_training_plans_skip_inference_only_chips() -> None:
    catalog = load_catalog()
    result = plan_training(
        "llama-3.2-1b",
        "20B",
        catalog=catalog,
        filters=OfferingFilter(providers=("aws",), vendors=("aws",)),
        deadline="365d",
        top=50,
    )
    chips = {plan.accelerator_id for plan in result.plans}
    assert chips, "AWS Trainium offerings should give at least one plan"
    assert "aws-inferentia2" not in chips
