"""Model providers: the interface every provider speaks (base.py), Amazon Bedrock
(bedrock.py) and any OpenAI-compatible chat-completions server (openai.py, with its wire
translation in openai_wire.py); tool calls streamed in fragments are put together by
tool_calls.py for both. Which one answers is decided by canvalo_app/providers.py."""
