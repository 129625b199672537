"""Suggested fixes for the HL3 rules: which scheduler replaces a hand-written learning-rate
formula, and how to keep a configuration unchanged."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

import libcst as cst

if TYPE_CHECKING:
    from hyperlint.context import FileContext


@dataclass
class Formula:
    """The code that computes a value written during training, gathered where it is written
    (bindings are only known during the traversal); same-file functions it calls are added later."""

    texts: list[str] = field(default_factory=list)
    functions: set[str] = field(default_factory=set)
    function_texts: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(self.texts + self.function_texts)


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        pending.extend(current.children)


def gather_formula(ctx: "FileContext", value: cst.BaseExpression | None, ancestors, depth: int = 2,
                   statement: cst.CSTNode | None = None) -> Formula:
    """``value`` first, then the statement that writes it, the bindings of the names it uses,
    the conditions around it and (for an lr-adjusting function) the function itself."""
    formula = Formula()
    code = ctx.module.code_for_node
    seen: set[int] = set()
    pending = [(value, 0)] if value is not None else []
    while pending:
        node, level = pending.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        formula.texts.append(code(node))
        for child in _walk(node):
            if isinstance(child, cst.Call) and isinstance(child.func, cst.Name) and child.func.value in ctx.local_functions:
                formula.functions.add(child.func.value)
            if isinstance(child, cst.Name) and level < depth:
                for binding in ctx.bindings.lookup_all(child.value):
                    if binding.kind in ("assign", "augassign", "annassign", "walrus") and binding.statement is not None:
                        pending.append((binding.statement, level + 1))
    if statement is not None and isinstance(statement, cst.AugAssign):
        formula.texts.insert(1 if formula.texts else 0, code(statement))
    for node in reversed(ancestors):
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            if isinstance(node, cst.FunctionDef) and re.search(r"lr|learning_rate|schedul|warmup|decay", node.name.value):
                formula.texts.append(code(node))
            break
        if isinstance(node, (cst.If, cst.While)):
            formula.texts.append("if " + code(node.test))
    return formula


def complete_formula(ctx: "FileContext", formula: Formula) -> Formula:
    """Add the source of the same-file functions the formula calls (after the traversal)."""
    for name in sorted(formula.functions):
        for frame in ctx.training.function_frames.get(name, []):
            formula.function_texts.append(ctx.module.code_for_node(frame.node))
    return formula


_STEP_DECAY = re.compile(r"\*\*\s*\(?\s*\(?\s*(\w+)\s*//\s*([\w.\[\]\"']+)")
_GAMMA_POWER = re.compile(r"([\w.\[\]\"']+|\d+(?:\.\d*)?(?:e-?\d+)?)\s*\*\*\s*\(?\s*\(?\s*\w+\s*//")


@dataclass
class Schedule:
    kind: str  # current | plateau | warmup-cosine | cosine | step | multistep | linear | poly | exponential | lambda | unknown
    function: str | None = None  # the same-file function computing the value
    step_size: str | None = None
    gamma: str | None = None
    milestones: str | None = None


_READS_CURRENT_LR = re.compile(r"get_last_lr\(|get_lr\(\)|param_groups\[[^\]]*\]\s*\[\s*['\"]lr['\"]\s*\]\s*$")
_MILESTONES_IN = re.compile(r"^if .*\b\w*(?:epoch|step|it|iter|iteration)\w*\s+in\s+([\w.\[\]\"'()]+)", re.M)
_MILESTONE_EQ = re.compile(r"^if .*\b\w*(?:epoch|step|iteration)\w*\s*==\s*([\w.\[\]\"']+)", re.M)
_GAMMA_FACTOR = re.compile(r"\*=\s*([\w.\[\]\"']+)\s*$|=\s*(\w+)\s*\*\s*([\w.\[\]\"']+)\s*$", re.M)


def classify(formula: Formula) -> Schedule:
    text = formula.text()
    low = text.lower()
    function = sorted(formula.functions)[0] if formula.functions else None
    if formula.texts and _READS_CURRENT_LR.search(formula.texts[0].strip()):
        return Schedule("current", function)
    has_cos = bool(re.search(r"\bcos\b|cosine|\.cos\(", low))
    has_warmup = "warmup" in low or "warm_up" in low
    if re.search(r"plateau|patience|bad_epochs|stale|no_improve|num_bad|not improv", low):
        return Schedule("plateau", function)
    if has_cos and has_warmup:
        return Schedule("warmup-cosine", function)
    if has_cos:
        return Schedule("cosine", function)
    step = _STEP_DECAY.search(text)
    if step:
        gamma = _GAMMA_POWER.search(text)
        return Schedule("step", function, step_size=step.group(2), gamma=gamma.group(1) if gamma else None)
    milestones = _MILESTONES_IN.search(text)
    equal = _MILESTONE_EQ.search(text)
    factor = _GAMMA_FACTOR.search(text)
    gamma = (factor.group(1) or factor.group(3)) if factor else None
    if milestones or equal:
        listed = milestones.group(1) if milestones else f"[{equal.group(1)}]"
        return Schedule("multistep", function, gamma=gamma, milestones=listed)
    if re.search(r"milestone|schedule\b|decay_epochs|lr_steps|\bsteps\b.*\bin\b|\bin\s+\w*(schedule|milestones|steps|epochs)"
                 r"|sum\(\s*\w+\s*>=", low):
        return Schedule("multistep", function)
    if re.search(r"\bpoly|power", low):
        return Schedule("poly", function)
    if has_warmup or re.search(r"\bfrac\b|anneal|1(\.0)?\s*-\s*\(?\s*\w+\s*(-\s*1(\.0)?\s*)?\)?\s*/", low):
        return Schedule("linear", function)
    if re.search(r"\*\*\s*\(?\s*(epoch|step|it|iter|iteration|global_step)\b|\bexp\(", low):
        return Schedule("exponential", function)
    if factor and not re.search(r"^if ", text, re.M):  # lr = lr * decay every time round
        return Schedule("exponential", function, gamma=gamma)
    if function or re.search(r"\b(epoch|step|it|iter|iteration|global_step|progress|batch)\b", low):
        return Schedule("lambda", function)
    return Schedule("unknown", function)


def torch_scheduler_fix(schedule: Schedule, framework: str | None = None) -> str:
    fn = f"`{schedule.function}`" if schedule.function else "the formula"
    lam = (f"`LambdaLR(optimizer, lr_lambda=lambda step: {schedule.function}(step) / base_lr)`"
           if schedule.function else "`LambdaLR(optimizer, lr_lambda=<the formula divided by the base lr>)`")
    if schedule.kind == "current":
        text = "let the scheduler that sets it keep it, and read `scheduler.get_last_lr()` where the value is needed"
    elif schedule.kind == "plateau":
        text = "use `torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode=..., factor=..., patience=...)` and call `scheduler.step(val_metric)`"
    elif schedule.kind == "warmup-cosine":
        text = ("use `SequentialLR(optimizer, [LinearLR(optimizer, start_factor=..., total_iters=warmup), "
                f"CosineAnnealingLR(optimizer, T_max=...)], milestones=[warmup])`, or {lam}")
    elif schedule.kind == "cosine":
        text = f"use `CosineAnnealingLR(optimizer, T_max=...)` (or {lam})"
    elif schedule.kind == "step":
        size = schedule.step_size or "..."
        gamma = schedule.gamma or "..."
        text = f"use `StepLR(optimizer, step_size={size}, gamma={gamma})` (or `MultiStepLR` for uneven milestones)"
    elif schedule.kind == "multistep":
        text = f"use `MultiStepLR(optimizer, milestones={schedule.milestones or '...'}, gamma={schedule.gamma or '...'})`"
    elif schedule.kind == "linear":
        text = f"use `LinearLR(optimizer, start_factor=..., end_factor=..., total_iters=...)` (or {lam})"
    elif schedule.kind == "poly":
        text = f"use `PolynomialLR(optimizer, total_iters=..., power=...)` (or {lam})"
    elif schedule.kind == "exponential":
        text = f"use `ExponentialLR(optimizer, gamma={schedule.gamma or '...'})` (or {lam})"
    elif schedule.kind == "lambda":
        text = f"compute {fn} inside {lam}"
    else:
        text = "use a `torch.optim.lr_scheduler` (`LambdaLR` for a hand-written formula, `MultiStepLR` for drops at given epochs)"
    text = "Instead of writing the learning rate into the optimizer by hand, " + text
    if framework == "lightning":
        text += ", returned from `configure_optimizers` as `{\"optimizer\": ..., \"lr_scheduler\": ...}`; Lightning steps it and saves its state"
    elif framework == "transformers":
        text += ", handed to the Trainer with `optimizers=(optimizer, scheduler)` (or choose `lr_scheduler_type`); the Trainer steps it and checkpoints its state"
    else:
        text += "; save `scheduler.state_dict()` in the checkpoint so a resumed run continues the schedule"
    return text + "."


def keras_scheduler_fix(schedule: Schedule) -> str:
    if schedule.kind == "plateau":
        text = "use `keras.callbacks.ReduceLROnPlateau(monitor=..., factor=..., patience=...)`"
    elif schedule.kind in ("warmup-cosine", "cosine"):
        text = ("pass a `keras.optimizers.schedules.CosineDecay(initial_learning_rate, decay_steps, "
                "warmup_target=..., warmup_steps=...)` as the optimizer's `learning_rate`")
    elif schedule.kind in ("step", "multistep"):
        text = ("pass a `keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values)` as the optimizer's "
                "`learning_rate`, or use `keras.callbacks.LearningRateScheduler(schedule)`")
    elif schedule.kind == "exponential":
        text = "pass a `keras.optimizers.schedules.ExponentialDecay(...)` as the optimizer's `learning_rate`"
    else:
        text = ("use `keras.callbacks.LearningRateScheduler(schedule)` with the formula as `schedule(epoch, lr)`, "
                "or a `keras.optimizers.schedules.LearningRateSchedule` subclass passed as `learning_rate`")
    return "Instead of setting the optimizer's learning rate by hand, " + text + "; the schedule is then part of the model's saved configuration."


# --- configurations ---------------------------------------------------------------------------

_RESULT_KEY = re.compile(
    r"^(best|last|current|final)_|_(score|metric|loss|acc|accuracy|iteration|epoch|step|path|dir|checkpoint|ckpt)$"
    r"|^(resume\w*|epoch|step|global_step|iteration|history|results?)$", re.I)
_LR_KEY = re.compile(r"(^|_)(lr|learning_rate|eta)($|_)", re.I)
_LENGTH_KEY = re.compile(r"epochs|max_steps|num_iterations|num_boost_round|n_estimators|rounds", re.I)


def freeze_advice(kind: str, root: str) -> str:
    if kind in ("hydra", "omegaconf"):
        return f"once setup is done, freeze it with `OmegaConf.set_readonly({root}, True)`"
    if kind == "dataclass":
        return f"make its class `@dataclass(frozen=True)` and derive a changed copy with `dataclasses.replace({root}, ...)` before training"
    if kind == "training_args":
        return (f"for another training phase, derive new arguments with `dataclasses.replace({root}, ...)` and "
                "give them to a new `Trainer`")
    if kind == "lightning":
        return ("`self.hparams` is what `save_hyperparameters()` recorded and what checkpoints restore: keep "
                "runtime values in plain attributes")
    if kind == "configdict":
        return f"lock it (`{root}.lock()`) or pass a `FrozenConfigDict` to the training code"
    if kind == "loaded":
        return (f"keep results in their own dict, and copy the config (`copy.deepcopy({root})`) for another run, "
                "so the saved config is the one that trained")
    if kind == "model_config":
        return "set model-config fields before training starts; they are saved with the model"
    if kind == "flags":
        return "absl flags are the command line as given: keep derived values in variables"
    return f"leave `{root}` as configured, so what the run records is what it ran with"


def _lr_schedule_advice(schedule: Schedule, target: str, library: str | None) -> str:
    if library == "xgboost":
        return (f"Keep `{target}` as configured and schedule the learning rate with "
                "`xgb.callback.LearningRateScheduler(lambda round: ...)`")
    if library == "lightgbm":
        return (f"Keep `{target}` as configured and schedule the learning rate with the "
                "`lgb.reset_parameter(learning_rate=lambda i: ...)` callback")
    if library == "keras":
        return keras_scheduler_fix(schedule).rstrip(".").replace(
            "Instead of setting the optimizer's learning rate by hand, ", f"Keep `{target}` as configured and ")
    return torch_scheduler_fix(schedule).rstrip(".").replace(
        "Instead of writing the learning rate into the optimizer by hand, ",
        f"Keep `{target}` as configured and drive the learning rate with a scheduler: ",
    )


def config_fix(kind: str, root: str, target: str, key: str | None, schedule: Schedule | None,
               context: str | None, library: str | None) -> str:
    between_runs = bool(context and context.startswith("after the training call"))
    if schedule is not None and schedule.kind == "current":
        first = (f"The current learning rate already lives in the optimizer/scheduler: read it there "
                 f"(`scheduler.get_last_lr()`, and log it with `run.log()`) instead of copying it into `{target}`")
    elif key and _LR_KEY.search(key) and schedule is not None and not between_runs:
        first = _lr_schedule_advice(schedule, target, library)
    elif between_runs and not (key and _RESULT_KEY.search(key)):
        first = f"Build the next run's configuration as a copy with the new values instead of changing `{root}`, which the first run was recorded with"
    elif key and _LENGTH_KEY.search(key):
        first = f"Keep the count actually run (e.g. `{key}_run`) in its own variable instead of rewriting `{target}`"
    elif key and _RESULT_KEY.search(key):
        first = (f"Keep `{key}` in its own variable (log a changing value with `run.log()` / your logger) "
                 f"instead of storing it in `{root}`")
    else:
        what = f"`{key}`" if key else "the changing value"
        first = f"Keep {what} in its own variable instead of changing `{root}` during training"
    return f"{first}; {freeze_advice(kind, root)}."


WANDB_FIX = ("Log a changing value with `run.log({...})` (or `run.summary[...]` for a final one) and leave "
             "`wandb.config` as the run started: the config is how runs are compared and filtered, and "
             "`allow_val_change=True` silently rewrites it.")
