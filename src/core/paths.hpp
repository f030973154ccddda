// Where ward keeps things. WARD_HOME overrides the data directory (default
// $XDG_DATA_HOME/ward); the agent socket lives in $XDG_RUNTIME_DIR/ward, or
// under $WARD_HOME/run when there is no runtime directory.
#pragma once

#include <cstddef>
#include <string>

namespace ward {

// $WARD_HOME, else $XDG_DATA_HOME/ward, else ~/.local/share/ward.
std::string ward_home();
// ward_home()/vault.db
std::string vault_path();
// $XDG_CONFIG_HOME/ward, else ~/.config/ward.
std::string config_dir();
// config_dir()/config.yaml: the user's settings (audit detectors, export),
// read with read_owned_file and at most this large.
std::string user_config_path();
constexpr std::size_t kMaxUserConfigSize = 1 << 20;
// $XDG_STATE_HOME/ward, else ~/.local/state/ward.
std::string state_dir();
// $XDG_CACHE_HOME/ward, else ~/.cache/ward: what can be rebuilt (the
// compiled scan rules).
std::string cache_dir();
// The user's home directory ($HOME, else the password database).
std::string home_dir();
// The directory holding the agent socket (created 0700 by the agent).
std::string runtime_dir();
// The agent socket. With the default home: runtime_dir()/agent.sock. With an
// explicit WARD_HOME under a shared runtime dir, a name derived from the home,
// so agents of two vaults never answer for each other.
std::string agent_socket_path();

}  // namespace ward
