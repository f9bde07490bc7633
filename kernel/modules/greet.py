"""``greet``: uses ``hello``'s exported ``hello_greeting`` ``times`` times, so it
depends on ``hello`` (modprobe loads hello first; rmmod hello is refused while greet
is loaded)."""

from __future__ import annotations

from kernel.abi import EINVAL, Error
from kernel.modules.core import ModuleContext, ModuleDef, Param


def _init(ctx: ModuleContext) -> None:
    times = ctx.params["times"]
    if times > 16:
        ctx.log(f"times={times}: at most 16")
        raise Error(EINVAL)
    greeting = ctx.symbol("hello_greeting")
    for _ in range(times):
        ctx.log(f"{greeting()} (from greet)")


MODULE = ModuleDef(
    "greet",
    "samples/greet.ko",
    description="Greets through hello's exported symbol",
    author="libk",
    license="GPL",
    params=(Param("times", "uint", 1, 0o444, "how many greetings"),),
    depends=("hello",),
    uses=("hello_greeting",),
    init=_init,
)
