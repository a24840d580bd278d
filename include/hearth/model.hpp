#pragma once
// hearth::model<B>: a GGUF file mapped once, its tokenizer, config and weights loaded into a
// backend. Immutable after loading, so any number of sessions can share one model.
#include <hearth/backend.hpp>
#include <hearth/config.hpp>
#include <hearth/gguf.hpp>
#include <hearth/model/transformer.hpp>
#include <hearth/tokenizer.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

HEARTH_NAMESPACE_BEGIN

template <backend B>
class model {
public:
    using load_progress = std::function<void(std::uint64_t bytes_done, std::uint64_t bytes_total)>;

    // Maps the file, checks it, and loads the weights into `b` (which must outlive the model).
    // `progress` (optional) follows the weights into the backend, for a progress bar.
    static std::shared_ptr<const model> open(B& b, const std::filesystem::path& path, const load_progress& progress = {}) {
        return std::shared_ptr<const model>(new model(b, gguf::file::open(path), progress));
    }

    const gguf::file& file() const { return file_; }
    const model_config& config() const { return graph_.config(); }
    const tokenizer& vocab() const { return tokenizer_; }
    transformer<B>& graph() const { return graph_; }
    B& backend_ref() const { return graph_.backend_ref(); }
    // The Jinja chat template the file ships (tokenizer.chat_template), or empty.
    std::string chat_template() const {
        return file_.template get_optional<std::string>("tokenizer.chat_template").value_or("");
    }

private:
    model(B& b, gguf::file f, const load_progress& progress)
        : file_(std::move(f)), tokenizer_(tokenizer::from_gguf(file_)), graph_(b, file_, progress) {}

    gguf::file file_;
    tokenizer tokenizer_;
    mutable transformer<B> graph_;  // forward() keeps no state in the graph; the session owns it
};

HEARTH_NAMESPACE_END
