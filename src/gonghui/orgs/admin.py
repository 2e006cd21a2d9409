"""Staff console for the union tree, enterprises and role assignments."""
