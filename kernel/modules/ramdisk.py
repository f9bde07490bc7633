"""``ramdisk``: RAM-backed block devices /dev/ram0 ... (Linux's brd).

``rd_nr`` devices of ``rd_size`` KiB each, block major 1, minors 0, 1, ...; each a
``block`` class device under /sys/devices/virtual/block/, listed in /sys/block and
/proc/diskstats. Open nodes hold the module (rmmod refuses with EBUSY-style messages).
``max_part`` is accepted as brd's is (no partitions here).
"""

from __future__ import annotations

from kernel.abi import EINVAL, Error
from kernel.dev.block import BlockDevice, disk_device
from kernel.modules.core import ModuleContext, ModuleDef, Param

RAMDISK_MAJOR = 1


def _init(ctx: ModuleContext) -> None:
    k = ctx.k
    nr, size = ctx.params["rd_nr"], ctx.params["rd_size"]
    if not 1 <= nr <= 16 or size <= 0:
        raise Error(EINVAL)
    if size * 1024 > k.frames.page_size * k.frames.buddy.free_pages // 2:
        ctx.log(f"rd_size={size}: more than half the free memory")
        raise Error(EINVAL)
    if not hasattr(k, "block"):
        k.block = {}
    blocks = k.block
    for i in range(nr):
        name = f"ram{i}"
        disk = BlockDevice(k, name, size * 1024, k.info.clock.costs.block, i, RAMDISK_MAJOR)
        ctx.device_register(disk_device(disk, None, ctx.module))
        blocks[name] = disk

        def drop(name: str = name, disk: BlockDevice = disk) -> None:
            if blocks.get(name) is disk:
                del blocks[name]
            disk.store.release()

        ctx.on_unwind(drop)
    ctx.log(f"module loaded: {nr} RAM disk{'s' if nr > 1 else ''} of {size} KiB")


MODULE = ModuleDef(
    "ramdisk",
    "drivers/block/ramdisk.ko",
    description="RAM-backed block devices (brd)",
    author="libk",
    license="GPL",
    params=(
        Param("rd_nr", "int", 1, 0o444, "Maximum number of brd devices"),
        Param("rd_size", "uint", 4096, 0o444, "Size of each RAM disk in kbytes."),
        Param("max_part", "int", 1, 0o444, "Num Minors to reserve between devices"),
    ),
    init=_init,
)
