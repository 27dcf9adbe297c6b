// Slurm host lists expanded as `scontrol show hostnames` prints them, and the malformed ones
// refused with the reason.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/slurm_nodelist.hpp"

namespace moebench {
namespace {

using Hosts = std::vector<std::string>;

std::string refusal(const std::string& list, std::size_t max_hosts = 65536) {
  try {
    expand_slurm_nodelist(list, max_hosts);
  } catch (const NodelistError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted '" << list << "'";
  return "";
}

TEST(SlurmNodelist, PlainHostsAndCommas) {
  EXPECT_EQ(expand_slurm_nodelist("host"), (Hosts{"host"}));
  EXPECT_EQ(expand_slurm_nodelist("a1,b2.example.org,c_3"), (Hosts{"a1", "b2.example.org", "c_3"}));
  EXPECT_EQ(expand_slurm_nodelist("127.0.0.1"), (Hosts{"127.0.0.1"}));
}

TEST(SlurmNodelist, RangesKeepTheLowerBoundsPadding) {
  EXPECT_EQ(expand_slurm_nodelist("node[01-04,07]"), (Hosts{"node01", "node02", "node03", "node04", "node07"}));
  EXPECT_EQ(expand_slurm_nodelist("n[8-11]"), (Hosts{"n8", "n9", "n10", "n11"}));
  EXPECT_EQ(expand_slurm_nodelist("n[098-100]"), (Hosts{"n098", "n099", "n100"}));
  EXPECT_EQ(expand_slurm_nodelist("n[5]"), (Hosts{"n5"}));
  EXPECT_EQ(expand_slurm_nodelist("[1-2]"), (Hosts{"1", "2"}));
}

TEST(SlurmNodelist, TextAfterAGroupAndEntriesMixed) {
  EXPECT_EQ(expand_slurm_nodelist("gpu-[001-003]-x"), (Hosts{"gpu-001-x", "gpu-002-x", "gpu-003-x"}));
  EXPECT_EQ(expand_slurm_nodelist("a1,b[2-3]"), (Hosts{"a1", "b2", "b3"}));
  EXPECT_EQ(expand_slurm_nodelist("a[1,3-4],b,c[9-10]"), (Hosts{"a1", "a3", "a4", "b", "c9", "c10"}));
}

TEST(SlurmNodelist, SeveralGroupsExpandAsAProductFirstGroupOutermost) {
  EXPECT_EQ(expand_slurm_nodelist("rack[1-2]-n[1-2]"), (Hosts{"rack1-n1", "rack1-n2", "rack2-n1", "rack2-n2"}));
  EXPECT_EQ(expand_slurm_nodelist("r[0-1]n[08-09]s[3]"), (Hosts{"r0n08s3", "r0n09s3", "r1n08s3", "r1n09s3"}));
}

TEST(SlurmNodelist, MalformedListsSayWhy) {
  EXPECT_EQ(refusal(""), "it has an empty entry");
  EXPECT_EQ(refusal("a,,b"), "it has an empty entry");
  EXPECT_EQ(refusal("a,"), "it has an empty entry");
  EXPECT_EQ(refusal("node[1-2"), "a '[' without its ']'");
  EXPECT_EQ(refusal("node1]"), "a ']' without its '[' at character 6");
  EXPECT_EQ(refusal("node[[1]]"), "a '[' inside brackets at character 6");
  EXPECT_EQ(refusal("node[]"), "'' in [] is not a number or a range of numbers");
  EXPECT_EQ(refusal("node[1-]"), "'1-' in [1-] is not a number or a range of numbers");
  EXPECT_EQ(refusal("node[-1]"), "'-1' in [-1] is not a number or a range of numbers");
  EXPECT_EQ(refusal("node[1,]"), "'' in [1,] is not a number or a range of numbers");
  EXPECT_EQ(refusal("node[a-b]"), "'a-b' in [a-b] is not a number or a range of numbers");
  EXPECT_EQ(refusal("node[1-2-3]"), "'1-2-3' in [1-2-3] is not a number or a range of numbers");
  EXPECT_EQ(refusal("node[1234567890]"), "'1234567890' in [1234567890] is not a number or a range of numbers");
  EXPECT_EQ(refusal("node[3-1]"), "the range 3-1 in [3-1] runs backwards");
  EXPECT_EQ(refusal("node 1"), "character 5 (' ') cannot be part of a host name");
  EXPECT_EQ(refusal("node:1"), "character 5 (':') cannot be part of a host name");
}

TEST(SlurmNodelist, MoreHostsThanTheLimitAreRefusedBeforeTheyAreMade) {
  EXPECT_EQ(refusal("n[1-999999999]"), "it names more than 65536 hosts");
  EXPECT_EQ(refusal("a[1-3]b[1-3]", 8), "it names more than 8 hosts");
  EXPECT_EQ(refusal("a[1-4],b[1-5]", 8), "it names more than 8 hosts");
  EXPECT_EQ(expand_slurm_nodelist("a[1-4],b[1-4]", 8).size(), 8u);
}

}  // namespace
}  // namespace moebench
