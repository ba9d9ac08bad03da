// SPDX-License-Identifier: GPL-2.0

//! A Rust DRM driver module for unload tests (tools/testing/selftests/devhold).
//!
//! The Rust counterpart of drm_test_unload: a platform driver that binds to the device
//! `drm_test_unload_rs.0` (test_devhold_holder registers it with `create=1`) and, at probe, creates
//! a GPU VM for as long as it is bound, as Tyr does. The VM keeps the DRM device, not the module,
//! until it is freed at the unbind; the device's release runs this module's code (the drop of the
//! device data), possibly later, from whoever drops the last device reference.
//!
//! Its module says that its exit waits for its DRM devices, and waits, through [`drm::ModuleWait`],
//! the guard that `kernel::drm_module_platform_driver!` gives Tyr, unless the parameter `nowait` is
//! set. With `leak` too, the probe takes a device reference it never drops: the broken
//! control of the harness, a module that goes with its device alive, which DRM's check of going
//! modules must report. So that `nowait` can leave the guard out, the module is declared with
//! `module_driver!` and a guard of its own rather than with `drm_module_platform_driver!`, which
//! expands to the same with `drm::ModuleWait`.

use kernel::{
    device::{
        Core,
        DeviceContext, //
    },
    driver::ModuleGuard,
    drm::{
        self,
        gem,
        gpuvm::{
            DriverGpuVm,
            GpuVm,
            OpMap,
            OpMapped,
            OpRemap,
            OpRemapped,
            OpUnmap,
            OpUnmapped,
            UniqueRefGpuVm, //
        }, //
    },
    platform,
    prelude::*,
    ThisModule, //
};

struct TestDriver;

/// The DRM device's data: dropped by the device's release, in this module.
struct Released;

impl Drop for Released {
    fn drop(&mut self) {
        pr_debug!("device released\n");
    }
}

#[pin_data]
struct TestObject {}

impl gem::DriverObject for TestObject {
    type Driver = TestDriver;
    type Args = ();

    fn new(_dev: &TestDevice, _size: usize, _args: ()) -> impl PinInit<Self, Error> {
        try_pin_init!(TestObject {})
    }
}

type TestDevice<Ctx = drm::Normal> = drm::Device<TestDriver, Ctx>;

struct File;

impl drm::file::DriverFile for File {
    type Driver = TestDriver;

    fn open(_dev: &TestDevice) -> Result<Pin<KBox<Self>>> {
        Ok(KBox::new(Self, GFP_KERNEL)?.into())
    }
}

/// The VM's driver data: none.
struct TestVm;

impl DriverGpuVm for TestVm {
    type Driver = TestDriver;
    type Object = gem::shmem::Object<TestObject>;
    type VaData = ();
    type VmBoData = ();
    type SmContext<'ctx> = ();

    fn sm_step_map<'op>(
        &mut self,
        _op: OpMap<'op, Self>,
        _context: &mut (),
    ) -> Result<OpMapped<'op, Self>, Error> {
        Err(EINVAL)
    }

    fn sm_step_unmap<'op>(
        &mut self,
        _op: OpUnmap<'op, Self>,
        _context: &mut (),
    ) -> Result<OpUnmapped<'op, Self>, Error> {
        Err(EINVAL)
    }

    fn sm_step_remap<'op>(
        &mut self,
        _op: OpRemap<'op, Self>,
        _context: &mut (),
    ) -> Result<OpRemapped<'op, Self>, Error> {
        Err(EINVAL)
    }
}

#[pin_data]
struct TestData<'bound> {
    /// A kernel VM while bound, as drivers create at probe.
    _vm: UniqueRefGpuVm<TestVm>,
    _reg: drm::Registration<'bound, TestDriver>,
}

#[vtable]
impl drm::Driver for TestDriver {
    type Data = Released;
    type RegistrationData<'a> = ();
    type File = File;
    type Object = gem::shmem::Object<TestObject>;
    type ParentDevice<Ctx: DeviceContext> = platform::Device<Ctx>;

    const INFO: drm::DriverInfo = drm::DriverInfo {
        major: 1,
        minor: 0,
        patchlevel: 0,
        name: c"drm_test_unload_rs",
        desc: c"Rust DRM driver for unload tests",
    };

    kernel::declare_drm_ioctls! {}
}

impl platform::Driver for TestDriver {
    type IdInfo = ();
    type Data<'bound> = TestData<'bound>;

    fn probe<'bound>(
        pdev: &'bound platform::Device<Core<'_>>,
        _info: Option<&'bound ()>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        let drm = drm::UnregisteredDevice::<Self>::new(pdev, Ok(Released))?;
        let r_obj = gem::shmem::Object::<TestObject>::new(&drm, 4096, Default::default(), ())?;
        let vm = GpuVm::new::<Error, _>(
            c"drm_test_unload_rs",
            &drm,
            &*r_obj,
            0..1 << 30,
            0..0,
            TestVm,
        )?;

        if module_parameters::nowait.value() && module_parameters::leak.value() {
            // The broken control: a device reference that is never dropped.
            core::mem::forget(kernel::sync::aref::ARef::<TestDevice>::from(&*drm));
        }

        // SAFETY: The registration is kept in the driver data, dropped when the device is
        // unbound; it is never forgotten.
        let reg = unsafe { drm::Registration::new(pdev.as_ref(), drm, (), 0)? };

        Ok(TestData { _vm: vm, _reg: reg })
    }
}

/// The module's guard: DRM's wait for the module's devices, or nothing with `nowait`.
struct Guard {
    _wait: Option<drm::ModuleWait>,
}

impl ModuleGuard for Guard {
    /// # Safety
    ///
    /// As [`ModuleGuard::new`]: called only by `module_driver!`, which keeps the guard until
    /// after the driver is unregistered.
    unsafe fn new(module: &'static ThisModule) -> Result<Self> {
        if module_parameters::nowait.value() {
            pr_warn!("nowait: the module exit does not wait for its devices\n");
            return Ok(Self { _wait: None });
        }
        Ok(Self {
            // SAFETY: As this function's own contract: the guard that keeps the `ModuleWait` is
            // made by `module_driver!` in this module's init and dropped after its driver is
            // unregistered.
            _wait: Some(unsafe { drm::ModuleWait::new(module) }?),
        })
    }
}

kernel::module_driver!(<T>, platform::Adapter<T>, guard: Guard, {
    type: TestDriver,
    name: "drm_test_unload_rs",
    authors: ["devhold developers"],
    description: "Rust DRM driver module for unload tests",
    license: "GPL",
    params: {
        nowait: bool {
            default: false,
            description: "module exit does not wait for the device: holds pin the module",
        },
        leak: bool {
            default: false,
            description: "broken control (with nowait): a device reference never dropped",
        },
    },
});
