// ward: one binary that is the CLI, the agent (`ward agent`) and, later, the
// MCP and team servers. main() parses the command line, runs the chosen
// command and turns its Error into one message and a documented exit code.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/context.hpp"
#include "cli/output.hpp"
#include "core/hardening.hpp"

using ward::cli::Context;

namespace {

// `ward run [OPTIONS] [--] COMMAND ARGS...`: the command and its arguments
// must reach the child untouched, so they are cut off before CLI11 parses:
// after "--", or from the first word that is neither an option of ward run
// nor an option's value.
std::vector<std::string> split_run_command(std::vector<std::string>& args) {
  // The subcommand is the first word that is not a global option or its value.
  auto run = args.begin();
  while (run != args.end() && run->starts_with("-")) {
    if (*run == "--passphrase-file" || *run == "--passphrase-fd" || *run == "--totp-file") ++run;
    if (run != args.end()) ++run;
  }
  if (run == args.end() || *run != "run") return {};
  for (auto it = run + 1; it != args.end(); ++it) {
    const std::string& word = *it;
    if (word == "--") {
      std::vector<std::string> command(it + 1, args.end());
      args.erase(it, args.end());
      return command;
    }
    if (word == "--secret" || word == "--env-file" || word == "--mask" ||
        word == "--passphrase-file" || word == "--passphrase-fd" || word == "--totp-file") {
      if (it + 1 == args.end()) break;
      ++it;
      continue;
    }
    if (word.starts_with("-")) continue;
    std::vector<std::string> command(it, args.end());
    args.erase(it, args.end());
    return command;
  }
  return {};
}

// The first word that should name a command but names none ("" if all is well).
std::string unknown_command(CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view word = argv[i];
    if (word.starts_with("-")) {
      if (word == "--passphrase-file" || word == "--passphrase-fd" || word == "--totp-file") ++i;
      continue;
    }
    try {
      app.get_subcommand(std::string(word));
      return "";
    } catch (const CLI::OptionNotFound&) {
      return std::string(word);
    }
  }
  return "";
}

int run(int argc, char** argv) {
  CLI::App app{"ward: secrets for developers whose machines run AI coding agents", "ward"};
  app.set_version_flag("--version", "ward " WARD_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  Context ctx;
  app.add_option("--passphrase-file", ctx.passphrase.file,
                 "Read the passphrase from this file (or set WARD_PASSPHRASE_FILE)");
  app.add_option("--passphrase-fd", ctx.passphrase.fd, "Read the passphrase from this descriptor");
  app.add_option("--totp-file", ctx.totp_file, "Read the two-factor code from this file");
  ward::cli::register_vault_commands(app, ctx);
  ward::cli::register_import_commands(app, ctx);
  ward::cli::register_agent_commands(app, ctx);
  ward::cli::register_twofa_commands(app, ctx);
  ward::cli::register_run_commands(app, ctx);
  ward::cli::register_env_commands(app, ctx);
  ward::cli::register_audit_commands(app, ctx);
  ward::cli::register_scan_commands(app, ctx);
  ward::cli::register_hook_commands(app, ctx);

  auto* help = app.add_subcommand("help", "Show help for a command");
  std::vector<std::string> topic;
  help->add_option("command", topic, "The command");
  help->callback([&] {
    ctx.action = [&]() -> ward::Status {
      if (topic.empty()) {
        fmt::print("{}", app.get_formatter()->make_help(&app, "ward", CLI::AppFormatMode::Normal));
        return {};
      }
      CLI::App* target = &app;
      for (const auto& word : topic) {
        try {
          target = target->get_subcommand(word);
        } catch (const CLI::OptionNotFound&) {
          return ward::fail(ward::Code::usage, fmt::format("no command named '{}'", word),
                            "run 'ward --help' for the list");
        }
      }
      fmt::print("{}", target->help());
      return {};
    };
  });

  std::vector<std::string> args(argv + 1, argv + argc);
  ctx.command = split_run_command(args);
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments reversed
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    if (std::string unknown = unknown_command(app, argc, argv); !unknown.empty()) {
      message = fmt::format("unknown command '{}'", unknown);
    }
    if (!message.empty()) message[0] = static_cast<char>(std::tolower(message[0]));
    while (!message.empty() && (message.back() == '.' || message.back() == '\n'))
      message.pop_back();
    ward::cli::print_error(ward::Error{ward::Code::usage, message, "run 'ward --help'"});
    return 2;
  }
  if (!ctx.action) return 2;
  ward::Status status = ctx.action();
  if (!status) {
    ward::cli::print_error(status.error());
    return ctx.error_exit_code ? ctx.error_exit_code : ward::exit_code_for(status.error().code);
  }
  return ctx.exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  // A peer that goes away must surface as an error, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  if (auto hardened = ward::harden_process(ward::Hardening::no_core_dumps); !hardened) {
    ward::cli::print_error(hardened.error());
    return 1;
  }
  try {
    int code = run(argc, argv);
    std::fflush(stdout);
    return code;
  } catch (const std::exception& e) {
    ward::cli::print_error(ward::Error{
        ward::Code::internal, fmt::format("internal error: {}", e.what()), "please report this"});
    return 1;
  }
}
