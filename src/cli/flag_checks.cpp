// The number checks, and which of a repeated flag's values they see.
#include "cli/flag_checks.hpp"

#include "cli/validate.hpp"

namespace moebench {

namespace {

// A check of the number CLI11 converts `text` to, read by CLI11's own conversion so that both see
// the same value; text that is no number passes, for CLI11 to refuse in its own words.
template <typename T>
CLI::Validator number_check(std::function<std::string(T)> problem) {
  return CLI::Validator(
      [problem](std::string& text) {
        T value;
        if (!CLI::detail::lexical_cast(text, value)) return std::string();
        if (std::string message = problem(value); !message.empty()) throw UsageError(message);
        return std::string();
      },
      "");
}

}  // namespace

CLI::Option* FlagChecks::integer_in(CLI::Option* option, std::int64_t low, std::int64_t high) {
  auto problem = [flag = option->get_name(), low, high](std::int64_t value) {
    return out_of_range_message(flag, value, low, high);
  };
  return option->check(kept(option, number_check<std::int64_t>(problem), fmt::format("{} to {}", low, high)));
}

CLI::Option* FlagChecks::number(CLI::Option* option, std::string rule, std::function<bool(double)> accepts) {
  auto problem = [flag = option->get_name(), rule, accepts](double value) {
    return accepts(value) ? std::string() : fmt::format("{} must be {} (got {})", flag, rule, value);
  };
  return option->check(kept(option, number_check<double>(problem), std::move(rule)));
}

CLI::Validator FlagChecks::kept(const CLI::Option* option, CLI::Validator check, std::string allowed) {
  allowed_[option->get_name()] = std::move(allowed);
  // A flag of one value given twice keeps the last (TakeLast). CLI11 numbers that one 0 and the
  // earlier ones below 0: index 0 checks the value kept and no other, as build_plan did.
  if (option->get_expected_max() == 1) check.application_index(0);
  return check;
}

}  // namespace moebench
