"""``hello``: the smallest module. Logs a greeting on load and a farewell on unload,
with its ``who`` parameter (writable by root in /sys/module/hello/parameters/who),
and exports ``hello_greeting`` for ``greet``."""

from __future__ import annotations

from kernel.modules.core import ModuleContext, ModuleDef, Param


def _init(ctx: ModuleContext) -> None:
    ctx.log(f"Hello, {ctx.params['who']}!")
    ctx.export("hello_greeting", lambda: f"Hello, {ctx.params['who']}")


def _exit(ctx: ModuleContext) -> None:
    ctx.log(f"Goodbye, {ctx.params['who']}.")


MODULE = ModuleDef(
    "hello",
    "samples/hello.ko",
    description="Says hello on load and goodbye on unload",
    author="libk",
    license="GPL",
    version="1.0",
    params=(Param("who", "charp", "world", 0o644, "whom to greet"),),
    exports=("hello_greeting",),
    init=_init,
    exit=_exit,
)
