# The CUDA toolkit and NCCL, for the cuda compute backend and the nccl comm
# backend. Each of TCBENCH_WITH_CUDA / TCBENCH_WITH_NCCL is AUTO, ON or OFF:
# AUTO builds a backend when what it needs is found and says why not
# otherwise; ON makes a missing piece a configuration error. Nothing here
# needs a GPU or its driver: NVML is opened at run time (collectors/).
#
# Sets TCB_CUDA and TCB_NCCL (ON/OFF), TCB_CUDA_WHY and TCB_NCCL_WHY (why
# off), TCB_CUDA_SOURCES, the imported target tcb_nccl and TCB_NCCL_VERSION.

foreach(opt TCBENCH_WITH_CUDA TCBENCH_WITH_NCCL)
  string(TOUPPER "${${opt}}" v)
  if(v MATCHES "^(1|TRUE|YES|Y)$")
    set(v ON)
  elseif(v MATCHES "^(0|FALSE|NO|N)$")
    set(v OFF)
  endif()
  if(NOT v MATCHES "^(AUTO|ON|OFF)$")
    message(FATAL_ERROR "${opt}=${${opt}}: expected AUTO, ON or OFF")
  endif()
  set(${opt}_MODE ${v})
endforeach()

set(TCB_CUDA OFF)
set(TCB_NCCL OFF)
set(TCB_CUDA_WHY "TCBENCH_WITH_CUDA=OFF")
set(TCB_NCCL_WHY "TCBENCH_WITH_NCCL=OFF")

if(NOT TCBENCH_WITH_CUDA_MODE STREQUAL "OFF" OR NOT TCBENCH_WITH_NCCL_MODE STREQUAL "OFF")
  # The toolkit's usual home, for a shell whose PATH lacks it.
  if(NOT DEFINED CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX}
     AND EXISTS /usr/local/cuda/bin/nvcc)
    find_program(TCB_NVCC nvcc)
    if(NOT TCB_NVCC)
      set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
    endif()
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    # Hopper's code (sm_90) plus compute_80 PTX, which the driver compiles for
    # any later GPU (Ada, Blackwell) and for Ampere; bf16 needs sm_80.
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 90-real 80-virtual)
    endif()
    enable_language(CUDA)
    # Link with the C compiler, not nvcc: the sanitizer flags are gcc's, and
    # the kernels need no device link (no relocatable device code).
    set(CMAKE_CUDA_LINKER_PREFERENCE_PROPAGATES 0)
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit)
  endif()

  if(NOT CMAKE_CUDA_COMPILER)
    set(why "no nvcc (not on PATH, CUDACXX unset, no /usr/local/cuda/bin/nvcc)")
    set(TCB_CUDA_WHY "${why}")
    set(TCB_NCCL_WHY "${why}")
  elseif(NOT CUDAToolkit_FOUND)
    set(TCB_CUDA_WHY "nvcc found but not the CUDA toolkit's libraries")
    set(TCB_NCCL_WHY "${TCB_CUDA_WHY}")
  else()
    if(NOT TCBENCH_WITH_CUDA_MODE STREQUAL "OFF")
      if(TARGET CUDA::cublasLt)
        set(TCB_CUDA ON)
      else()
        set(TCB_CUDA_WHY "cuBLASLt not found in ${CUDAToolkit_LIBRARY_DIR}")
      endif()
    endif()
    if(NOT TCBENCH_WITH_NCCL_MODE STREQUAL "OFF")
      # NCCL ships inside the toolkit on this project's image; elsewhere it
      # is its own package (libnccl-dev) or NCCL_HOME.
      find_path(TCB_NCCL_INCLUDE_DIR nccl.h
        HINTS ${CUDAToolkit_INCLUDE_DIRS} $ENV{NCCL_HOME}/include)
      find_library(TCB_NCCL_LIBRARY nccl
        HINTS ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_LIBRARY_ROOT}/lib $ENV{NCCL_HOME}/lib)
      if(TCB_NCCL_INCLUDE_DIR AND TCB_NCCL_LIBRARY)
        file(STRINGS ${TCB_NCCL_INCLUDE_DIR}/nccl.h nccl_defs
             REGEX "^#define NCCL_(MAJOR|MINOR|PATCH) ")
        foreach(part MAJOR MINOR PATCH)
          string(REGEX REPLACE ".*#define NCCL_${part} ([0-9]+).*" "\\1" nccl_${part} "${nccl_defs}")
        endforeach()
        set(TCB_NCCL_VERSION "${nccl_MAJOR}.${nccl_MINOR}.${nccl_PATCH}")
        add_library(tcb_nccl UNKNOWN IMPORTED)
        set_target_properties(tcb_nccl PROPERTIES IMPORTED_LOCATION ${TCB_NCCL_LIBRARY}
                              INTERFACE_INCLUDE_DIRECTORIES ${TCB_NCCL_INCLUDE_DIR})
        set(TCB_NCCL ON)
      else()
        set(TCB_NCCL_WHY "nccl.h or libnccl not found (set NCCL_HOME, or install libnccl-dev)")
      endif()
    endif()
  endif()
endif()

foreach(pair "CUDA;TCB_CUDA" "NCCL;TCB_NCCL")
  list(GET pair 0 name)
  list(GET pair 1 var)
  if(TCBENCH_WITH_${name}_MODE STREQUAL "ON" AND NOT ${var})
    message(FATAL_ERROR "TCBENCH_WITH_${name}=ON, but ${${var}_WHY}")
  endif()
endforeach()

set(TCB_CUDA_SOURCES
  workloads/compute_cuda.c
  workloads/compute_cuda_gemm.c
  workloads/compute_cuda_matmul.c
  workloads/cuda_stream.cu
  workloads/cuda_layers.cu
  workloads/cuda_optim.cu
  workloads/cuda_attention.cu
  workloads/compute_cuda_ops.c
)
