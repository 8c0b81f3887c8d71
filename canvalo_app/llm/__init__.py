"""Model providers: the interface every provider speaks (base.py) and Amazon Bedrock
(bedrock.py). Which one answers is decided by canvalo_app/providers.py."""
