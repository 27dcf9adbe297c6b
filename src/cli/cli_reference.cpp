// docs/cli.md's generated part: the flags of define_options as Markdown, one table per option group,
// so that the reference and --help cannot tell different stories.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/option_definitions.hpp"
#include "cli/options.hpp"

namespace moebench {

namespace {

// Text for a table cell, where a '|' would end the cell.
std::string cell(const std::string& text) {
  std::string escaped;
  for (char c : text) escaped += c == '|' ? std::string("\\|") : std::string(1, c);
  return escaped;
}

std::string code(const std::string& text) { return text.empty() ? "" : "`" + text + "`"; }

std::string flag_names(const CLI::Option& option) {
  std::vector<std::string> names;
  for (const std::string& name : option.get_snames()) names.push_back(code("-" + name));
  for (const std::string& name : option.get_lnames()) names.push_back(code("--" + name));
  return fmt::format("{}", fmt::join(names, ", "));
}

// What follows the flag: its type, "..." for a list; nothing for a flag without a value.
std::string value_kind(const CLI::Option& option) {
  if (option.get_type_size() == 0) return "";
  const bool list = option.get_expected_max() == CLI::detail::expected_max_vector_size;
  return option.get_type_name() + (list ? " ..." : "");
}

std::string options_table(const std::vector<const CLI::Option*>& options, const AllowedValues& allowed) {
  std::string table = "| flag | value | default | allowed | description |\n|---|---|---|---|---|\n";
  for (const CLI::Option* option : options) {
    const auto found = allowed.find(option->get_name());
    table += fmt::format("| {} | {} | {} | {} | {} |\n", flag_names(*option), cell(value_kind(*option)),
                         code(cell(option->get_default_str())), found == allowed.end() ? "" : cell(found->second),
                         cell(option->get_description()));
  }
  return table;
}

// The footer: its first line, then the commands it lists.
std::string commands_section(const std::string& footer) {
  std::istringstream lines(footer);
  std::string line;
  std::getline(lines, line);
  std::string text = "\n## Commands for saved runs\n\n" + line + "\n\n```text\n";
  while (std::getline(lines, line)) text += line.substr(line.find_first_not_of(' ')) + "\n";
  return text + "```\n";
}

}  // namespace

std::string cli_reference_markdown() {
  CliOptions options;
  CLI::App app;
  const AllowedValues allowed = define_options(app, options);
  std::string text = fmt::format("Usage: `{} [OPTIONS]`\n\n{}\n\n", app.get_name(), app.get_description());
  text += options_table(std::as_const(app).get_options(), allowed);
  const auto groups = std::as_const(app).get_subcommands([](const CLI::App* sub) { return sub->get_name().empty(); });
  for (const CLI::App* group : groups) {
    text += fmt::format("\n## {}\n\n", group->get_group());
    if (!group->get_description().empty()) text += group->get_description() + "\n\n";
    // A group holds the program's --help too; --help lists it once, at the top.
    auto not_help = [group](const CLI::Option* option) { return option != group->get_help_ptr(); };
    text += options_table(group->get_options(not_help), allowed);
  }
  return text + commands_section(app.get_footer());
}

}  // namespace moebench
