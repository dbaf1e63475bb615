from portal.formats.en_GB.formats import *  # noqa: F403 - English pages read as the British ones
