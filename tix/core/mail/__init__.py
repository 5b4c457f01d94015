"""Mail for tix: parsing raw messages (pure), and telling automatic mail from people's."""
