#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "runtime/spec.hpp"

namespace berth::runtime {

// CLONE_NEW* flag of an OCI namespace type ("network" -> CLONE_NEWNET).
uint64_t namespace_flag(const std::string& type);
// Name of the namespace under /proc/<pid>/ns ("network" -> "net").
const char* namespace_proc_name(const std::string& type);

struct NamespacePlan {
  uint64_t new_flags = 0;        // namespaces to create
  uint64_t all_flags = 0;        // namespaces of the container's own, made or joined
  std::vector<Namespace> joins;  // namespaces to join by path, user first
  bool new_user = false;
  bool join_user = false;
  bool new_pid = false;
  bool join_pid = false;
  bool new_mount = false;
};

Result<NamespacePlan> plan_namespaces(const Linux& linux_config);
// setns into every namespace of `joins` whose type is in `types_mask` (CLONE_NEW* flags).
Status join_namespaces(const std::vector<Namespace>& joins, uint64_t types_mask);

}  // namespace berth::runtime
