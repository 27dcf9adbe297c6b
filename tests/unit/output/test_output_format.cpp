// CSV byte for byte, and the Markdown layout.
#include <gtest/gtest.h>

#include "output/csv_format.hpp"
#include "output/markdown_format.hpp"

namespace moebench {
namespace {

ResultRow sample_row(ImplKind kind, double mean) {
  ResultRow r;
  r.implementation = kind;
  r.bench_case = {Scenario::kRandom, 1024};
  r.ep_size = 8;
  r.tp_size = 8;
  r.num_experts = 60;
  r.top_k = 8;
  r.latency = {10, mean, 0.1234, 2.3, 2.5, 2.6, 2.2, 2.7};
  r.load = {150, 130, 136.5333, 1.0986};
  r.throughput_tok_per_sec = 436543.2109;
  r.device = "cpu:AMD EPYC";
  r.dtype = "f32";
  return r;
}

TEST(CsvFormat, HeaderStartsWithTheOriginalNineteenColumns) {
  EXPECT_EQ(csv_header(),
            "implementation,scenario,num_tokens,ep_size,tp_size,num_experts,num_experts_per_tok,latency_mean_ms,"
            "latency_std_ms,latency_p50_ms,latency_p95_ms,latency_p99_ms,latency_min_ms,latency_max_ms,max_load,"
            "min_load,avg_load,max_imbalance,throughput_tok_per_sec,device,dtype,check_rel_err,tflops,hbm_gbps,"
            "roofline_ms,pct_of_roofline,comm_bytes,comm_floor_ms,pct_of_bound");
}

TEST(CsvFormat, RowByteForByte) {
  ResultRow r = sample_row(ImplKind::kFused, 2.3456);
  EXPECT_EQ(csv_row(r),
            "fused,random,1024,8,8,60,8,2.3456,0.1234,2.3000,2.5000,2.6000,2.2000,2.7000,150,130,136.53,1.10,"
            "436543.21,cpu:AMD EPYC,f32,,,,,,,,");
  r.check_rel_err = 1.5e-6;
  r.roofline = RooflineMetrics{0.5, 12.25, 1.1, 46.9};
  EXPECT_EQ(csv_row(r),
            "fused,random,1024,8,8,60,8,2.3456,0.1234,2.3000,2.5000,2.6000,2.2000,2.7000,150,130,136.53,1.10,"
            "436543.21,cpu:AMD EPYC,f32,1.500e-06,0.500,12.2,1.1000,46.9,,,");
  r.comm = CommBound{123456, 0.01234, 46.94};  // a multi-device row with a measured link
  EXPECT_EQ(csv_row(r),
            "fused,random,1024,8,8,60,8,2.3456,0.1234,2.3000,2.5000,2.6000,2.2000,2.7000,150,130,136.53,1.10,"
            "436543.21,cpu:AMD EPYC,f32,1.500e-06,0.500,12.2,1.1000,46.9,123456,0.0123,46.9");
  r.device = "cuda:GPU, \"big\"";
  EXPECT_NE(csv_row(r).find(",\"cuda:GPU, \"\"big\"\"\",f32,"), std::string::npos);
}

TEST(MarkdownFormat, TablePerCaseWithSpeedup) {
  const std::vector<ResultRow> rows{sample_row(ImplKind::kFused, 2.0), sample_row(ImplKind::kEpMoe, 3.0)};
  const std::string table = markdown_case_table(rows);
  EXPECT_NE(table.find("## Scenario: random, Tokens: 1024\n"), std::string::npos);
  EXPECT_NE(table.find("| Metric | Fused MoE | EP MoE | Speedup |\n"), std::string::npos);
  EXPECT_NE(table.find("| Mean Latency (ms) | 2.0000 | 3.0000 | 1.50x |\n"), std::string::npos);
  EXPECT_NE(table.find("| P95 Latency (ms) | 2.5000 | 2.5000 | - |\n"), std::string::npos);
  EXPECT_NE(table.find("| Throughput (tok/s) | 436543.2 | 436543.2 | - |\n"), std::string::npos);
  EXPECT_NE(table.find("| Max Imbalance | 1.10x | 1.10x | - |\n"), std::string::npos);
  EXPECT_EQ(table.find("Check"), std::string::npos);
}

TEST(MarkdownFormat, SingleImplementationHasNoSpeedup) {
  const std::string table = markdown_case_table({sample_row(ImplKind::kEpMoe, 3.0)});
  EXPECT_NE(table.find("| Metric | EP MoE | Speedup |\n"), std::string::npos);
  EXPECT_NE(table.find("| Mean Latency (ms) | 3.0000 | - |\n"), std::string::npos);
}

TEST(MarkdownFormat, HeaderHasTheConfigurationLine) {
  BenchmarkPlan plan;
  plan.problem.shape.num_experts = 60;
  plan.problem.shape.top_k = 8;
  plan.problem.shape.hidden_size = 2048;
  plan.problem.shape.intermediate_size = 1408;
  plan.problem.layout = {8, 8, 1, 0};
  plan.command_line = "bench_fused_vs_epmoe --x";
  RunInfo info{&plan, DeviceInfo{"cpu", "AMD EPYC", 1, "2 threads"}, {}, "test"};
  const std::string header = markdown_header(info);
  EXPECT_EQ(header.rfind("# MoE Benchmark Results\n**Configuration:** 60 experts, top-8, hidden 2048, intermediate "
                         "1408, silu; EP=8, TP=1 on 8 device(s)\n",
                         0),
            0u);
  EXPECT_NE(header.find("`bench_fused_vs_epmoe --x`"), std::string::npos);
}

}  // namespace
}  // namespace moebench
