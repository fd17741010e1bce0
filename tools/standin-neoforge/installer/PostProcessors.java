package net.minecraftforge.installer.actions;

/**
 * Where the real installer (neoforged/LegacyInstaller, from commit 3df82a1,
 * 2024-04-12) keeps its processor steps, at the same path in the jar
 * (net/minecraftforge/installer/actions/PostProcessors.class): the control
 * plane reads this entry's constants to tell whether an installer skips
 * DOWNLOAD_MOJMAPS given local mappings (an older one has no such line and
 * would download them). The stand-in logs it from here.
 */
public final class PostProcessors {
    public static final String MOJMAPS_CACHE_HIT = "Skipping mojmaps download due to local cache hit.";

    private PostProcessors() {}
}
