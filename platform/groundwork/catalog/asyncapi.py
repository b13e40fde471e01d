"""The topics an `asyncapi` API declares: the addresses of its AsyncAPI document's channels.

AsyncAPI 3 writes a channel's topic as `channels.<id>.address`; AsyncAPI 2 uses the channel's key. A
definition that is not such a document is refused with the reason, at the `definition` line.
"""

from __future__ import annotations

from collections.abc import Mapping

import yaml

ASYNCAPI = "asyncapi"


class NotAsyncApi(ValueError):
    """The definition is not an AsyncAPI document naming its channels."""


def channel_addresses(definition: object) -> tuple[str, ...]:
    if not isinstance(definition, str):
        raise NotAsyncApi("is not a string holding an AsyncAPI document")
    try:
        document = yaml.safe_load(definition)
    except yaml.YAMLError as error:
        raise NotAsyncApi(f"is not YAML ({getattr(error, 'problem', None) or 'unreadable'})") from None
    if not isinstance(document, Mapping) or not isinstance(document.get("asyncapi"), str):
        raise NotAsyncApi("has no `asyncapi:` version: write an AsyncAPI document")
    channels = document.get("channels")
    if not isinstance(channels, Mapping) or not channels:
        raise NotAsyncApi("declares no channels: each topic is a channel with its `address`")
    version_2 = document["asyncapi"].startswith("2.")
    addresses = []
    for key, channel in channels.items():
        address = key if version_2 else (channel.get("address") if isinstance(channel, Mapping) else None)
        if not isinstance(address, str) or not address:
            raise NotAsyncApi(f"channel {key!r} has no address: set channels.{key}.address to the topic")
        addresses.append(address)
    return tuple(addresses)
