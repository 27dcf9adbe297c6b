// The safetensors writer byte for byte: the length, the padded JSON header, the offsets, the data,
// and the file written whole or not at all.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "core/errors.hpp"
#include "output/safetensors_writer.hpp"
#include "support/process.hpp"
#include "support/safetensors_reader.hpp"

namespace moebench {
namespace {

const std::vector<float> kFloats{1.0f, -2.0f};
const std::vector<std::int32_t> kInts{7};

std::vector<SafetensorsTensor> two_tensors() {
  return {tensor_of("a", TensorDtype::kF32, {2}, std::span<const float>(kFloats)),
          tensor_of("b", TensorDtype::kI32, {1, 1}, std::span<const std::int32_t>(kInts))};
}

TEST(SafetensorsWriter, HeaderIsTheLengthThenPaddedJson) {
  const std::string header = safetensors_header(two_tensors(), {{"k", "v\"q\n\\"}});
  const std::string json = R"({"__metadata__":{"k":"v\"q\n\\"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                           R"("b":{"dtype":"I32","shape":[1,1],"data_offsets":[8,12]}})";
  const std::size_t padded = (json.size() + 7) / 8 * 8;
  ASSERT_EQ(header.size(), 8 + padded);
  std::uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(header[static_cast<std::size_t>(i)]);
  EXPECT_EQ(length, padded);
  EXPECT_EQ(header.substr(8, json.size()), json);
  EXPECT_EQ(header.substr(8 + json.size()), std::string(padded - json.size(), ' '));
}

TEST(SafetensorsWriter, NoMetadataMeansNoMetadataEntry) {
  const std::string header = safetensors_header(two_tensors(), {});
  EXPECT_EQ(header.substr(8, 5), R"({"a":)");
}

TEST(SafetensorsWriter, FileHoldsTheHeaderThenEachTensorInOrder) {
  const std::string dir = testing::make_temp_dir("moebench-safetensors");
  const std::string path = dir + "/t.safetensors";
  write_safetensors(path, two_tensors(), {{"format", "pt"}});
  const std::string bytes = testing::read_file(path);
  const std::string header = safetensors_header(two_tensors(), {{"format", "pt"}});
  ASSERT_EQ(bytes.size(), header.size() + 12);
  EXPECT_EQ(bytes.substr(0, header.size()), header);
  float floats[2];
  std::int32_t ints[1];
  std::memcpy(floats, bytes.data() + header.size(), 8);
  std::memcpy(ints, bytes.data() + header.size() + 8, 4);
  EXPECT_EQ(floats[0], 1.0f);
  EXPECT_EQ(floats[1], -2.0f);
  EXPECT_EQ(ints[0], 7);
  const testing::SafetensorsFile read = testing::read_safetensors(path);
  EXPECT_EQ(read.order, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(read.metadata.at("format"), "pt");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  std::filesystem::remove_all(dir);
}

TEST(SafetensorsWriter, ATensorMayHandItsBytesInPieces) {
  const std::vector<std::uint16_t> values{1, 2, 3, 4, 5, 6};
  SafetensorsTensor t{"p", TensorDtype::kBf16, {2, 3}, [&](const ByteSink& sink) {
                        sink(values.data(), 4);
                        sink(values.data() + 2, 8);
                      }};
  const std::string dir = testing::make_temp_dir("moebench-safetensors");
  write_safetensors(dir + "/p.safetensors", {t}, {});
  EXPECT_EQ(testing::read_safetensors(dir + "/p.safetensors").tensors.at("p").values<std::uint16_t>(), values);
  std::filesystem::remove_all(dir);
}

TEST(SafetensorsWriter, WrongByteCountLeavesNoFile) {
  SafetensorsTensor t{"short", TensorDtype::kF32, {3}, [](const ByteSink& sink) { sink(kFloats.data(), 8); }};
  const std::string dir = testing::make_temp_dir("moebench-safetensors");
  EXPECT_THROW(write_safetensors(dir + "/s.safetensors", {t}, {}), std::logic_error);
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  std::filesystem::remove_all(dir);
}

TEST(SafetensorsWriter, RepeatedNameIsRefused) {
  auto tensors = two_tensors();
  tensors.push_back(tensors[0]);
  EXPECT_THROW(safetensors_header(tensors, {}), std::invalid_argument);
}

TEST(SafetensorsWriter, UnwritablePathIsARunErrorNamingTheFile) {
  const std::string dir = testing::make_temp_dir("moebench-safetensors");
  std::FILE* blocker = std::fopen((dir + "/file").c_str(), "w");
  std::fclose(blocker);
  try {
    write_safetensors(dir + "/file/sub/t.safetensors", two_tensors(), {});
    FAIL() << "no error";
  } catch (const RunError& e) {
    EXPECT_NE(std::string(e.what()).find(dir + "/file/sub"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(SafetensorsWriter, SizesFollowTheDtypes) {
  EXPECT_EQ(dtype_bytes(TensorDtype::kBf16), 2u);
  EXPECT_EQ(dtype_bytes(TensorDtype::kF32), 4u);
  EXPECT_EQ(dtype_bytes(TensorDtype::kI32), 4u);
  EXPECT_EQ(safetensors_data_bytes(two_tensors()), 12u);
  EXPECT_EQ(dtype_name(TensorDtype::kBf16), "BF16");
  EXPECT_EQ(dtype_bytes(TensorDtype::kF8E4M3), 1u);
  EXPECT_EQ(dtype_name(TensorDtype::kF8E4M3), "F8_E4M3");  // safetensors' name for torch.float8_e4m3fn
}

TEST(SafetensorsWriter, E4m3TensorsTakeOneBytePerValue) {
  const std::vector<std::uint8_t> codes{0x7e, 0x80, 0x01};
  const std::vector<SafetensorsTensor> tensors{
      tensor_of("q", TensorDtype::kF8E4M3, {3}, std::span<const std::uint8_t>(codes)),
      tensor_of("q_scale_inv", TensorDtype::kF32, {1}, std::span<const float>(kFloats).first(1))};
  EXPECT_EQ(safetensors_data_bytes(tensors), 3u + 4u);
  const std::string header = safetensors_header(tensors, {});
  EXPECT_NE(header.find(R"("q":{"dtype":"F8_E4M3","shape":[3],"data_offsets":[0,3]})"), std::string::npos) << header;
  EXPECT_NE(header.find(R"("q_scale_inv":{"dtype":"F32","shape":[1],"data_offsets":[3,7]})"), std::string::npos)
      << header;
  const std::string dir = testing::make_temp_dir("moebench-safetensors");
  write_safetensors(dir + "/q.safetensors", tensors, {});
  const testing::SafetensorsFile read = testing::read_safetensors(dir + "/q.safetensors");
  EXPECT_EQ(read.tensors.at("q").dtype, "F8_E4M3");
  EXPECT_EQ(read.tensors.at("q").values<std::uint8_t>(), codes);
  EXPECT_EQ(read.tensors.at("q_scale_inv").values<float>(), std::vector<float>{1.0f});
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace moebench
