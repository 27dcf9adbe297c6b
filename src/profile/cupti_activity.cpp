// CUPTI activity collection (CUDA builds): libcupti is opened with dlopen, so its absence, or a
// refusal (no permission, another profiler attached), becomes one warning instead of a failure.
#include <cupti_activity.h>
#include <cxxabi.h>
#include <dlfcn.h>

#include <cstdlib>
#include <fmt/format.h>
#include <mutex>

#include "profile/gpu_activity.hpp"

namespace moebench {

namespace {

struct CuptiApi {
  decltype(&cuptiActivityEnable) enable = nullptr;
  decltype(&cuptiActivityDisable) disable = nullptr;
  decltype(&cuptiActivityRegisterCallbacks) register_callbacks = nullptr;
  decltype(&cuptiActivityFlushAll) flush_all = nullptr;
  decltype(&cuptiActivityGetNextRecord) next_record = nullptr;
  decltype(&cuptiGetTimestamp) timestamp = nullptr;
  decltype(&cuptiGetResultString) result_string = nullptr;
};

constexpr std::size_t kBufferBytes = 8u << 20;

// CUPTI hands completed buffers to a plain callback: the records go to the one live collector.
std::mutex g_records_mutex;
std::vector<TraceEvent>* g_records = nullptr;
const CuptiApi* g_api = nullptr;

std::string demangle(const char* name) {
  int status = 0;
  char* plain = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string result = status == 0 && plain ? plain : name;
  std::free(plain);
  return result;
}

TraceEvent kernel_event(const CUpti_ActivityKernel10& k) {
  TraceEvent e;
  e.name = demangle(k.name);
  e.category = "kernel";
  e.start_ns = k.start;
  e.end_ns = k.end;
  e.process = kGpuProcessBase + static_cast<int>(k.deviceId);
  e.thread = k.streamId;
  e.args = {{"grid", {k.gridX, k.gridY, k.gridZ}},
            {"block", {k.blockX, k.blockY, k.blockZ}},
            {"registers_per_thread", k.registersPerThread},
            {"static_shared_memory", k.staticSharedMemory},
            {"dynamic_shared_memory", k.dynamicSharedMemory},
            {"correlation_id", k.correlationId}};
  return e;
}

TraceEvent copy_event(const char* name, const char* category, std::uint64_t start, std::uint64_t end,
                      std::uint32_t device, std::uint32_t stream, std::uint64_t bytes) {
  TraceEvent e;
  e.name = name;
  e.category = category;
  e.start_ns = start;
  e.end_ns = end;
  e.process = kGpuProcessBase + static_cast<int>(device);
  e.thread = stream;
  e.args = {{"bytes", bytes}};
  return e;
}

void CUPTIAPI on_buffer_requested(std::uint8_t** buffer, std::size_t* size, std::size_t* max_records) {
  *buffer = static_cast<std::uint8_t*>(std::aligned_alloc(8, kBufferBytes));
  *size = *buffer ? kBufferBytes : 0;
  *max_records = 0;
}

void CUPTIAPI on_buffer_completed(CUcontext, std::uint32_t, std::uint8_t* buffer, std::size_t, std::size_t valid) {
  const std::lock_guard lock(g_records_mutex);
  CUpti_Activity* record = nullptr;
  while (g_api && g_records && g_api->next_record(buffer, valid, &record) == CUPTI_SUCCESS) {
    switch (record->kind) {
      case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL:
      case CUPTI_ACTIVITY_KIND_KERNEL:
        g_records->push_back(kernel_event(*reinterpret_cast<const CUpti_ActivityKernel10*>(record)));
        break;
      case CUPTI_ACTIVITY_KIND_MEMCPY: {
        const auto& m = *reinterpret_cast<const CUpti_ActivityMemcpy6*>(record);
        g_records->push_back(copy_event("memcpy", "memcpy", m.start, m.end, m.deviceId, m.streamId, m.bytes));
        break;
      }
      case CUPTI_ACTIVITY_KIND_MEMSET: {
        const auto& m = *reinterpret_cast<const CUpti_ActivityMemset4*>(record);
        g_records->push_back(copy_event("memset", "memset", m.start, m.end, m.deviceId, m.streamId, m.bytes));
        break;
      }
      default: break;
    }
  }
  std::free(buffer);
}

const CUpti_ActivityKind kKinds[] = {CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL, CUPTI_ACTIVITY_KIND_MEMCPY,
                                     CUPTI_ACTIVITY_KIND_MEMSET};

class CuptiCollector final : public GpuActivityCollector {
 public:
  explicit CuptiCollector(CuptiApi api) : api_(api) {}

  std::uint64_t now_ns() override {
    std::uint64_t t = 0;
    api_.timestamp(&t);
    return t;
  }

  void start() override {
    {
      const std::lock_guard lock(g_records_mutex);
      records_.clear();
      g_records = &records_;
      g_api = &api_;
    }
    for (CUpti_ActivityKind kind : kKinds) api_.enable(kind);
  }

  std::vector<TraceEvent> stop() override {
    api_.flush_all(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
    for (CUpti_ActivityKind kind : kKinds) api_.disable(kind);
    api_.flush_all(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
    const std::lock_guard lock(g_records_mutex);
    g_records = nullptr;
    return std::exchange(records_, {});
  }

 private:
  CuptiApi api_;
  std::vector<TraceEvent> records_;
};

template <typename T>
bool load(void* library, const char* symbol, T& function) {
  function = reinterpret_cast<T>(dlsym(library, symbol));
  return function != nullptr;
}

}  // namespace

std::unique_ptr<GpuActivityCollector> make_gpu_activity_collector(std::string* why) {
  void* library = nullptr;
  for (const char* name : {"libcupti.so.13", "libcupti.so"}) {
    library = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (library) break;
  }
  if (library == nullptr) {
    *why = fmt::format("CUPTI is not available ({}); traces hold host phases only", dlerror());
    return nullptr;
  }
  CuptiApi api;
  const bool loaded =
      load(library, "cuptiActivityEnable", api.enable) && load(library, "cuptiActivityDisable", api.disable) &&
      load(library, "cuptiActivityRegisterCallbacks", api.register_callbacks) &&
      load(library, "cuptiActivityFlushAll", api.flush_all) &&
      load(library, "cuptiActivityGetNextRecord", api.next_record) &&
      load(library, "cuptiGetTimestamp", api.timestamp) && load(library, "cuptiGetResultString", api.result_string);
  if (!loaded) {
    *why = "CUPTI is missing activity functions; traces hold host phases only";
    return nullptr;
  }
  static std::once_flag registered;
  CUptiResult status = CUPTI_SUCCESS;
  std::call_once(registered, [&] { status = api.register_callbacks(on_buffer_requested, on_buffer_completed); });
  if (status == CUPTI_SUCCESS) status = api.enable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
  if (status != CUPTI_SUCCESS) {
    const char* text = nullptr;
    api.result_string(status, &text);
    *why = fmt::format("CUPTI refused activity tracing ({}); traces hold host phases only", text ? text : "unknown");
    return nullptr;
  }
  api.disable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
  return std::make_unique<CuptiCollector>(api);
}

}  // namespace moebench
