// Starting the child of `ward run`, in one of three ways:
//
//  - direct: execve in place of ward. Nothing to mask, or --mask never: the
//    child gets ward's terminal and signals as they are, at no cost.
//  - pipes: ward's stdout/stderr are not a terminal. The child's stdout and
//    stderr are pipes that ward reads, masks and relays to its own; stdin is
//    inherited. SIGINT/TERM/HUP/QUIT/WINCH sent to ward (by kill, not by the
//    terminal, which signals the whole process group already) are forwarded.
//  - pty: ward's stdout is a terminal. The child runs on a new pseudo-terminal
//    as its controlling terminal, so it still sees a TTY (colours, prompts,
//    full-screen programs, window size); ward puts its own terminal in raw
//    mode and copies keystrokes in and masked output out, and passes window
//    size changes on.
//
// The exit status is the child's: its code, or 128+N when killed by signal N.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "run/child_env.hpp"
#include "util/result.hpp"

namespace ward {

class MaskSet;

enum class OutputMode { direct, pipes, pty };

struct LaunchSpec {
  std::string exe_path;           // resolved executable
  std::vector<std::string> argv;  // argv[0] as the user typed it
  OutputMode mode = OutputMode::direct;
  // For pipes and pty: builds the masker. Called right after the child is
  // started, so compiling the patterns overlaps the child's own start-up;
  // nothing the child writes is read before the masker exists. If it fails,
  // the child is killed and the error returned.
  std::function<Result<std::shared_ptr<const MaskSet>>()> build_masks;
};

// direct: does not return on success. pipes/pty: the child's exit status.
Result<int> launch(const LaunchSpec& spec, ChildEnv& env);

}  // namespace ward
