"""Buffers for the editor tests: several training functions, so that an edit in one of them is
a small part of the text (the language server re-parses only the statements an edit touched)."""
from __future__ import annotations


def training_functions(count: int, name: str = "train") -> str:
    """``count`` functions, each with its own hard-coded learning rate and a training loop."""
    return "".join(
        f"\n\ndef {name}_{i}(model, loader):\n"
        f"    optimizer = torch.optim.SGD(model.parameters(), lr=0.0{i + 1}, momentum=0.9)\n"
        "    for epoch in range(3):\n"
        "        for x, y in loader:\n"
        "            optimizer.zero_grad()\n"
        "            nn.functional.cross_entropy(model(x), y).backward()\n"
        "            optimizer.step()\n"
        for i in range(count)
    )
