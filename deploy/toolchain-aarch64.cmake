# CMake toolchain: Debian's cross compiler for 64-bit ARM (Raspberry Pi OS
# bookworm 64-bit, Debian arm64).
#
#   cmake -S . -B build-arm64 \
#         -DCMAKE_TOOLCHAIN_FILE=deploy/toolchain-aarch64.cmake \
#         [-DGS_SYSROOT=/path/to/sysroot]
#
# Libraries come from Debian's arm64 packages, either
#  - unpacked into a sysroot (GS_SYSROOT; deploy/cross-arm64.sh makes one
#    with `apt-get download` + `dpkg -x`, leaving the host untouched), or
#  - installed on the host with multiarch (dpkg --add-architecture arm64;
#    apt-get install libgpiod-dev:arm64 ...): leave GS_SYSROOT empty.
# Test executables run under qemu-aarch64-static (CMAKE_CROSSCOMPILING_
# EMULATOR), so `ctest -L unit` runs the arm64 unit tests on this machine.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(GS_CROSS_TRIPLET aarch64-linux-gnu)

set(CMAKE_C_COMPILER ${GS_CROSS_TRIPLET}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${GS_CROSS_TRIPLET})
find_program(CMAKE_STRIP ${GS_CROSS_TRIPLET}-strip)
find_program(CMAKE_OBJCOPY ${GS_CROSS_TRIPLET}-objcopy)

# The toolchain file is read again for every try_compile: pass GS_SYSROOT
# through to them.
set(GS_SYSROOT "${GS_SYSROOT}" CACHE PATH
	"Root of the unpacked arm64 packages (empty: multiarch on the host)")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES GS_SYSROOT)

if(GS_SYSROOT)
	set(CMAKE_SYSROOT ${GS_SYSROOT})
	set(CMAKE_FIND_ROOT_PATH ${GS_SYSROOT})
	set(gs_pc_sysroot ${GS_SYSROOT})
	# The dynamic loader and libraries of the emulated programs.
	set(gs_qemu_prefix ${GS_SYSROOT})
else()
	# Multiarch: the arm64 libraries are in /usr/lib/aarch64-linux-gnu,
	# which CMake searches first through CMAKE_LIBRARY_ARCHITECTURE.
	set(CMAKE_FIND_ROOT_PATH /)
	set(gs_pc_sysroot "")
	# Multiarch: libc6:arm64 puts /lib/ld-linux-aarch64.so.1 on the host.
	set(gs_qemu_prefix /)
endif()
# Programs are the build machine's; everything else the target's.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config must see only the arm64 .pc files, with paths inside the
# sysroot. The settings travel on pkg-config's command line through env(1)
# (FindPkgConfig's PKG_CONFIG_ARGN), so no environment change in the
# project's CMakeLists can undo them.
set(gs_pc_libdir
	"${gs_pc_sysroot}/usr/lib/${GS_CROSS_TRIPLET}/pkgconfig:${gs_pc_sysroot}/usr/share/pkgconfig")
set(PKG_CONFIG_EXECUTABLE /usr/bin/env CACHE FILEPATH "" FORCE)
set(PKG_CONFIG_ARGN
	"PKG_CONFIG_LIBDIR=${gs_pc_libdir};PKG_CONFIG_SYSROOT_DIR=${gs_pc_sysroot};PKG_CONFIG_PATH=;pkg-config"
	CACHE STRING "" FORCE)

# bookworm: qemu-user-static's qemu-aarch64-static; trixie's qemu-user
# ships static emulators named qemu-aarch64.
find_program(GS_QEMU NAMES qemu-aarch64-static qemu-aarch64)
if(GS_QEMU)
	set(CMAKE_CROSSCOMPILING_EMULATOR ${GS_QEMU} -L ${gs_qemu_prefix})
endif()
