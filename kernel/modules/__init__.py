"""Loadable kernel modules: the framework (``core``), their files (``files``), their
/sys directories (``sysfs``) and the shipped modules (``hello``, ``greet``, ``ramdisk``).

:func:`modules_init` runs in stage 2 of the boot: it sets up ``k.modules``, writes
/lib/modules/<release>/ and loads the image's ``modules:`` list, in order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import Error

if TYPE_CHECKING:
    from kernel.kernel import Kernel


def modules_init(k: Kernel) -> None:
    """``k.modules``, /lib/modules and the boot-time modules of the image."""
    from kernel.kernel import RELEASE
    from kernel.modules.core import Modules, module_def
    from kernel.modules.files import install_files

    k.modules = Modules(k)
    n = install_files(k, RELEASE)
    k.log(f"modules: {n} modules in /lib/modules/{RELEASE}")
    for spec in k.info.modules:
        defn = module_def(spec.name)
        params = " ".join(f"{a}={b}" for a, b in spec.params)
        if defn is None:
            k.log(f"modules: {spec.name}: not found")
            continue
        try:
            for dep in defn.depends:
                d = module_def(dep)
                if d is not None and dep not in k.modules.loaded:
                    k.modules.load(d, "")
            k.modules.load(defn, params)
        except Error as err:
            k.log(f"modules: failed to load {spec.name}: error -{err.errno}")
            continue
        k.log(f"modules: loaded {spec.name}" + (f" ({params})" if params else ""))
