#pragma once
// A one-line progress bar on stderr, drawn only when stderr is a terminal (redirected output and
// logs stay clean) and only once the work has taken long enough to be worth watching, so a
// model that maps in a millisecond prints nothing.
#include <unistd.h>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace hearth_cli {

class progress_bar {
public:
    explicit progress_bar(std::string label, bool enabled = isatty(fileno(stderr)) != 0)
        : label_(std::move(label)), enabled_(enabled), start_(clock::now()) {}
    progress_bar(const progress_bar&) = delete;
    progress_bar& operator=(const progress_bar&) = delete;
    ~progress_bar() { finish(); }

    void update(std::uint64_t done, std::uint64_t total) {
        if (!enabled_ || total == 0) return;
        const auto now = clock::now();
        if (!drawn_ && now - start_ < std::chrono::milliseconds(250)) return;  // quick: stay silent
        const int percent = static_cast<int>(done * 100 / total);
        if (drawn_ && percent == last_percent_) return;
        last_percent_ = percent;
        drawn_ = true;
        constexpr int width = 30;
        const int fill = percent * width / 100;
        std::fprintf(stderr, "\r%s [%s%s] %3d%%", label_.c_str(), std::string(fill, '=').c_str(),
                     std::string(width - fill, ' ').c_str(), percent);
        std::fflush(stderr);
    }
    // Clears the line, so what follows starts at column 0 on a clean line.
    void finish() {
        if (!drawn_) return;
        std::fprintf(stderr, "\r%*s\r", static_cast<int>(label_.size()) + 40, "");
        std::fflush(stderr);
        drawn_ = false;
        enabled_ = false;
    }

private:
    using clock = std::chrono::steady_clock;
    std::string label_;
    bool enabled_;
    bool drawn_ = false;
    int last_percent_ = -1;
    clock::time_point start_;
};

}  // namespace hearth_cli
