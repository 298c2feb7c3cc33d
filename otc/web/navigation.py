def navigation_for(membership):
    return []
