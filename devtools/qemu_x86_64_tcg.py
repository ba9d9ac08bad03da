# kunit.py --qemu_config for the x86_64 tier: two CPUs under TCG.  KVM guests
# hang on the project's machines, and kunit.py always asks for KVM first, so
# the qemu binary named here is a wrapper (devtools/bin) that drops the
# accelerators other than TCG.
from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   kconfig='''
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y''',
			   qemu_arch='x86_64-devhold-tcg',
			   kernel_path='arch/x86/boot/bzImage',
			   kernel_command_line='console=ttyS0',
			   extra_qemu_params=['-smp', '2', '-m', '2048'])
